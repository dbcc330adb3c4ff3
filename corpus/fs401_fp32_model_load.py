"""FS401 fp32-model-load: a model that half precision would serve is loaded in fp32.

Every case loads its own checkpoint (FS103), each function holds one large model (FS105), and
models are used only through generate() or under inference_mode (FS201). The finding is the
load (the from_pretrained call), unless every path afterwards casts the model to half
precision. Known-small checkpoints (under 1B parameters) are fine in fp32.
"""

import argparse

import torch
from transformer_lens import HookedTransformer
from transformers import (
    AutoModelForCausalLM,
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BitsAndBytesConfig,
)


@torch.inference_mode()
def answer(model, tokenizer, question):
    encoded = tokenizer(question, return_tensors="pt").to(model.device)
    return tokenizer.decode(model.generate(**encoded, max_new_tokens=32)[0], skip_special_tokens=True)


# --- true positives --------------------------------------------------------------------------

# Direct: the catalog's case. from_pretrained defaults to fp32: ~28 GB for 7B where bf16 needs ~14.
def default_dtype(question):
    tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-7b-hf")
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf", device_map="auto")  # expect: FS401
    return answer(model, tokenizer, question)


# Direct: fp32 asked for explicitly on a 13B model for inference.
def explicit_float32(question):
    tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-13b-chat-hf")
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-13b-chat-hf", torch_dtype=torch.float32, device_map="auto")  # expect: FS401
    return answer(model, tokenizer, question)


# Direct, TransformerLens: HookedTransformer also defaults to float32.
def tl_default_dtype(prompt):
    model = HookedTransformer.from_pretrained("mistral-7b")  # expect: FS401
    with torch.inference_mode():
        return model(prompt, return_type="loss").item()


# Direct, a 1.5B model (gpt2-xl is not in the small family): ~6 GB in fp32 vs ~3 GB.
def gpt2_xl_completion(question):
    tokenizer = AutoTokenizer.from_pretrained("gpt2-xl")
    model = AutoModelForCausalLM.from_pretrained("gpt2-xl")  # expect: FS401
    return answer(model, tokenizer, question)


# Size unknown: a checkpoint from the command line. Lower confidence: it may be small.
def cli_checkpoint(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--question", default="What is the capital of France?")
    args = parser.parse_args(argv)
    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = AutoModelForCausalLM.from_pretrained(args.checkpoint)  # expect: FS401
    return answer(model, tokenizer, args.question)


# Cast on one path only: without --half the 7B model stays in fp32.
def optional_half(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", action="store_true")
    args = parser.parse_args(argv)
    tokenizer = AutoTokenizer.from_pretrained("mistralai/Mistral-7B-Instruct-v0.2")
    model = AutoModelForCausalLM.from_pretrained("mistralai/Mistral-7B-Instruct-v0.2")  # expect: FS401
    if args.half:
        model = model.half()
    return answer(model.to("cuda"), tokenizer, "Name three primes.")


# Training with an optimizer in fp32: often deliberate (mixed precision keeps fp32 master
# weights), so the finding has lower confidence and its message says why.
def full_finetune(loader, epochs=1):
    model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2-7B")  # expect: FS401
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    for _ in range(epochs):
        for batch in loader:
            loss = model(**batch, labels=batch["input_ids"]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    return model


def load_for_eval(name, dtype=None):
    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=dtype)  # expect: FS401


# Two calls, mixed callers: this caller passes bf16 ...
def eval_gemma(question):
    return answer(load_for_eval("google/gemma-7b", dtype=torch.bfloat16), AutoTokenizer.from_pretrained("google/gemma-7b"), question)


# ... this one relies on the default (None, which means fp32), so the load is reported.
def eval_falcon(question):
    return answer(load_for_eval("tiiuae/falcon-7b-instruct"), AutoTokenizer.from_pretrained("tiiuae/falcon-7b-instruct"), question)


JUDGE_CHECKPOINT = "meta-llama/Meta-Llama-3-8B-Instruct"


def load_weights(name):
    return AutoModelForCausalLM.from_pretrained(name, low_cpu_mem_usage=True)  # expect: FS401


def make_model(name):
    model = load_weights(name)
    model.eval()
    return model


def build_judge(name):
    tokenizer = AutoTokenizer.from_pretrained(name)
    return make_model(name), tokenizer


# Three calls: the module constant reaches from_pretrained through build_judge() -> make_model()
# -> load_weights(); nothing on the way back casts the model.
def judge(question):
    model, tokenizer = build_judge(JUDGE_CHECKPOINT)
    return answer(model, tokenizer, question)


# --- near-miss negatives -----------------------------------------------------------------------

# Small checkpoints are fine in fp32.
def small_models(question):
    results = []
    for name in ("gpt2", "EleutherAI/pythia-70m", "EleutherAI/pythia-160m", "EleutherAI/pythia-410m"):
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name)
        results.append(answer(model, tokenizer, question))
        del model
    seq2seq = AutoModelForSeq2SeqLM.from_pretrained("t5-small")
    results.append(answer(seq2seq, AutoTokenizer.from_pretrained("t5-small"), question))
    del seq2seq
    t5_base = AutoModelForSeq2SeqLM.from_pretrained("t5-base")
    results.append(answer(t5_base, AutoTokenizer.from_pretrained("t5-base"), question))
    del t5_base
    classifier = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased", num_labels=2)
    with torch.inference_mode():
        results.append(classifier(**AutoTokenizer.from_pretrained("bert-base-uncased")(question, return_tensors="pt")).logits.tolist())
    return results


# Explicit half precision at the load.
def bf16_at_load(question):
    tokenizer = AutoTokenizer.from_pretrained("01-ai/Yi-6B")
    model = AutoModelForCausalLM.from_pretrained("01-ai/Yi-6B", torch_dtype=torch.bfloat16)
    return answer(model, tokenizer, question)


# Cast right after the load: .half(), .to(dtype=...), .to(<dtype>) and .bfloat16().
def cast_after_load(question):
    tokenizer = AutoTokenizer.from_pretrained("lmsys/vicuna-7b-v1.5")
    model = AutoModelForCausalLM.from_pretrained("lmsys/vicuna-7b-v1.5").half().to("cuda")
    return answer(model, tokenizer, question)


def cast_with_to_dtype(question):
    tokenizer = AutoTokenizer.from_pretrained("allenai/OLMo-7B-hf")
    model = AutoModelForCausalLM.from_pretrained("allenai/OLMo-7B-hf")
    model = model.to(device="cuda", dtype=torch.bfloat16)
    return answer(model, tokenizer, question)


def cast_with_positional_dtype(question):
    tokenizer = AutoTokenizer.from_pretrained("HuggingFaceH4/zephyr-7b-beta")
    model = AutoModelForCausalLM.from_pretrained("HuggingFaceH4/zephyr-7b-beta")
    model.to(torch.float16)
    return answer(model, tokenizer, question)


# Cast on every path: both branches end in half precision.
def cast_on_every_path(question, use_bf16):
    tokenizer = AutoTokenizer.from_pretrained("EleutherAI/pythia-6.9b")
    model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-6.9b")
    if use_bf16:
        model = model.bfloat16()
    else:
        model = model.half()
    return answer(model, tokenizer, question)


# torch_dtype inside a kwargs dict.
LOAD_KWARGS = {"torch_dtype": torch.bfloat16, "device_map": "auto"}


def kwargs_dict(question):
    tokenizer = AutoTokenizer.from_pretrained("teknium/OpenHermes-2.5-Mistral-7B")
    model = AutoModelForCausalLM.from_pretrained("teknium/OpenHermes-2.5-Mistral-7B", **LOAD_KWARGS)
    return answer(model, tokenizer, question)


# "auto" takes the dtype stored in the checkpoint (bf16/fp16 for these models).
def auto_dtype(question):
    tokenizer = AutoTokenizer.from_pretrained("google/gemma-2-9b")
    model = AutoModelForCausalLM.from_pretrained("google/gemma-2-9b", torch_dtype="auto")
    return answer(model, tokenizer, question)


# Quantized loads: 8-bit and 4-bit.
def quantized(question):
    tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-70b-hf")
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-70b-hf", quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16))
    return answer(model, tokenizer, question)


def eight_bit(question):
    tokenizer = AutoTokenizer.from_pretrained("EleutherAI/pythia-12b")
    model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-12b", load_in_8bit=True, device_map="auto")
    return answer(model, tokenizer, question)


def load_with_dtype(name, dtype):
    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=dtype)


# A dtype parameter whose every caller passes half precision.
def dtype_parameter(question):
    first = answer(load_with_dtype("NousResearch/Llama-2-13b-hf", torch.bfloat16), AutoTokenizer.from_pretrained("NousResearch/Llama-2-13b-hf"), question)
    second = answer(load_with_dtype("lmsys/vicuna-13b-v1.5", torch.float16), AutoTokenizer.from_pretrained("lmsys/vicuna-13b-v1.5"), question)
    return first, second


# TransformerLens with a half-precision dtype.
def tl_bf16(prompt):
    model = HookedTransformer.from_pretrained("llama-7b", dtype=torch.bfloat16)
    with torch.inference_mode():
        return model(prompt, return_type="loss").item()


# Near miss: TransformerLens's own names for small models (gpt2-small is 124M, the solu toy
# models are far below 1B): fp32 is the sensible default for interpretability work on them.
def tl_small_models(prompt):
    with torch.inference_mode():
        small = HookedTransformer.from_pretrained("gpt2-small")
        loss_small = small(prompt, return_type="loss").item()
        del small
        toy = HookedTransformer.from_pretrained("solu-4l")
        return loss_small, toy(prompt, return_type="loss").item()


# Suppressed in the source: a numerics study that needs the fp32 reference on purpose. The
# finding is not reported (SARIF keeps it as a result with an inSource suppression).
def fp32_reference_logits(batch):
    reference = AutoModelForCausalLM.from_pretrained("mistralai/Mistral-7B-Instruct-v0.2")  # noqa: FS401
    with torch.inference_mode():
        return reference(**batch).logits.float().cpu()
