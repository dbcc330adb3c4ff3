"""FS105 concurrent-large-models: a second large model is loaded while another is still alive.

"Large" means at least 1B parameters by the checkpoint name (7b, 8B, 13b, ...). Every load
passes a half-precision dtype (FS401), every checkpoint name appears in one case only (FS103)
and forward passes run under inference_mode (FS201). The finding is the statement that brings
the second large model into being, in the deepest frame that still holds the first one.
"""

import argparse
import functools

import torch
import torch.nn.functional as F
from transformer_lens import HookedTransformer
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer


@torch.inference_mode()
def next_token_logprobs(model, batch):
    return model(**batch).logits[:, -1].float().log_softmax(-1)


@torch.inference_mode()
def mean_kl(model_p, model_q, batch):
    p = next_token_logprobs(model_p, batch)
    q = next_token_logprobs(model_q, batch)
    return F.kl_div(q, p, log_target=True, reduction="batchmean").item()


# --- true positives --------------------------------------------------------------------------

# Direct: the catalog's comparison study, base and chat model held at once (2 x 14 GB in bf16).
def base_vs_chat(prompts):
    tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-7b-hf")
    tokenizer.pad_token = tokenizer.eos_token
    batch = tokenizer(prompts, return_tensors="pt", padding=True).to("cuda")
    base = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf", torch_dtype=torch.bfloat16, device_map="cuda")
    chat = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-chat-hf", torch_dtype=torch.bfloat16, device_map="cuda")  # expect: FS105
    return mean_kl(base, chat, batch)


ZOO = ("mistralai/Mistral-7B-v0.1", "Qwen/Qwen2-7B", "google/gemma-7b")


# Direct, a dict of models: every entry after the first is loaded while the earlier ones live
# in the dict.
def load_zoo():
    return {name: AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16) for name in ZOO}  # expect: FS105


# Direct, a list filled in a loop (an ensemble of local fine-tuning runs, 7B by their names).
def load_seeds():
    members = []
    for run_dir in ("runs/olmo-7b-seed0", "runs/olmo-7b-seed1", "runs/olmo-7b-seed2"):
        members.append(AutoModelForCausalLM.from_pretrained(run_dir, torch_dtype=torch.bfloat16))  # expect: FS105
    return members


# Direct, TransformerLens model diffing.
def tl_model_diff(prompt):
    base = HookedTransformer.from_pretrained("meta-llama/Meta-Llama-3-8B", dtype=torch.bfloat16)
    tuned = HookedTransformer.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct", dtype=torch.bfloat16)  # expect: FS105
    with torch.inference_mode():
        _, base_cache = base.run_with_cache(prompt, names_filter=lambda name: name.endswith("resid_post"))
        _, tuned_cache = tuned.run_with_cache(prompt, names_filter=lambda name: name.endswith("resid_post"))
    return [(base_cache[key] - tuned_cache[key]).norm().item() for key in base_cache.keys()]


def load_base():
    return AutoModelForCausalLM.from_pretrained("tiiuae/falcon-7b", torch_dtype=torch.bfloat16)


def load_tuned():
    return AutoModelForCausalLM.from_pretrained("tiiuae/falcon-7b-instruct", torch_dtype=torch.bfloat16)


# Two calls: each model comes from a helper; both are held by this function, so the finding is
# the call of load_tuned() here.
def falcon_comparison(batch):
    base = load_base()
    tuned = load_tuned()  # expect: FS105
    return mean_kl(base, tuned, batch)


def load_checkpoint(name):
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    model.eval()
    return model


def load_frozen(name):
    model = load_checkpoint(name)
    model.requires_grad_(False)
    return model


def build_sft_model():
    return load_frozen("HuggingFaceH4/mistral-7b-sft-beta")


# Three calls: the SFT model reaches this frame through build_sft_model() -> load_frozen() ->
# load_checkpoint(), while the DPO model loaded just before is still held here.
def sft_vs_dpo(batch):
    dpo = AutoModelForCausalLM.from_pretrained("HuggingFaceH4/zephyr-7b-beta", torch_dtype=torch.bfloat16)
    sft = build_sft_model()  # expect: FS105
    return mean_kl(sft, dpo, batch)


def load_big(name):
    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)


# The sweep's last model is still bound to `m` after the loop: CPython keeps it until the name is
# rebound, deleted or the function returns, even though nothing reads `m` again. The judge is
# loaded on top of it.
def sweep_then_judge(batch):
    scores = {}
    for name in ("deepseek-ai/deepseek-llm-7b-base", "deepseek-ai/deepseek-llm-7b-chat"):
        m = load_big(name)
        scores[name] = next_token_logprobs(m, batch).max(-1).values.tolist()
    judge = AutoModelForCausalLM.from_pretrained("lmsys/vicuna-13b-v1.3", torch_dtype=torch.bfloat16)  # expect: FS105 "still bound"
    return scores, next_token_logprobs(judge, batch).tolist()


@functools.lru_cache(maxsize=None)
def cached_model(name):
    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)


# A memoized loader: its cache keeps the draft model alive for the whole process, although this
# function never uses it again after computing the draft scores.
def draft_then_target(batch):
    draft = next_token_logprobs(cached_model("stabilityai/stablelm-base-alpha-7b"), batch).cpu()
    target = AutoModelForCausalLM.from_pretrained("Qwen/Qwen1.5-14B", torch_dtype=torch.bfloat16)  # expect: FS105 "memoized"
    return F.kl_div(next_token_logprobs(target, batch), draft, log_target=True, reduction="batchmean").item()


# A memoized loader called once per checkpoint of a sweep: nothing in the loop keeps the models,
# but the cache keeps every one of them.
def cached_sweep(batch):
    scores = {}
    for name in ("Deci/DeciLM-7B", "upstage/SOLAR-10.7B-v1.0"):
        scores[name] = next_token_logprobs(cached_model(name), batch).max(-1).values.tolist()  # expect: FS105 "memoized"
    return scores


# The memoized loader serves every task with the run's --model, then a reference model is loaded
# while the cache still holds it (reported there). Asking the cache again for the same
# `args.model` afterwards loads nothing new: no second finding at that call.
def tasks_then_reference(batch, argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="mosaicml/mpt-7b")
    parser.add_argument("--reference", default="tiiuae/falcon-7b")
    parser.add_argument("--tasks", nargs="+", default=["arc", "piqa"])
    args = parser.parse_args(argv)
    scores = {}
    for task in args.tasks:
        scores[task] = next_token_logprobs(cached_model(args.model), batch).max(-1).values.tolist()
    reference = AutoModelForCausalLM.from_pretrained(args.reference, torch_dtype=torch.bfloat16)  # expect: FS105 "memoized"
    return scores, mean_kl(cached_model(args.model), reference, batch)


# --- near-miss negatives -----------------------------------------------------------------------

# The same sweep, but the last model is deleted after the loop: nothing holds it any more.
def sweep_then_judge_freed(batch):
    scores = {}
    for name in ("internlm/internlm-7b", "internlm/internlm-chat-7b"):
        m = load_big(name)
        scores[name] = next_token_logprobs(m, batch).max(-1).values.tolist()
    del m
    torch.cuda.empty_cache()
    judge = AutoModelForCausalLM.from_pretrained("lmsys/vicuna-33b-v1.3", torch_dtype=torch.bfloat16)
    return scores, next_token_logprobs(judge, batch).tolist()


# Deleted at the end of every iteration: after the loop no name is bound to a model.
def sweep_del_in_body_then_judge(batch):
    scores = {}
    for name in ("baichuan-inc/Baichuan2-7B-Base", "baichuan-inc/Baichuan2-13B-Base"):
        m = load_big(name)
        scores[name] = next_token_logprobs(m, batch).max(-1).values.tolist()
        del m
        torch.cuda.empty_cache()
    judge = AutoModelForCausalLM.from_pretrained("WizardLMTeam/WizardLM-13B-V1.2", torch_dtype=torch.bfloat16)
    return scores, next_token_logprobs(judge, batch).tolist()


# The memoized loader called with the same checkpoint on every iteration: one model, loaded once.
def cached_in_loop(batches):
    return [next_token_logprobs(cached_model("openlm-research/open_llama_7b"), batch).cpu() for batch in batches]


def cached_in_for_loop(batches):
    out = []
    for batch in batches:
        out.append(next_token_logprobs(cached_model("togethercomputer/RedPajama-INCITE-7B-Base"), batch).cpu())
    return out


# The memoized loader called twice with the same checkpoint: the second call is a cache hit that
# returns the model already loaded, not a second model (and not a duplicate load either).
def cached_twice(batch):
    before = next_token_logprobs(cached_model("01-ai/Yi-34B"), batch).cpu()
    again = next_token_logprobs(cached_model("01-ai/Yi-34B"), batch).cpu()
    return (before - again).abs().max().item()


@torch.inference_mode()
def evaluate_checkpoint(name, batch):
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    scores = next_token_logprobs(model, batch).max(-1).values.tolist()
    del model
    torch.cuda.empty_cache()
    return scores


# The catalog's fix: each model is evaluated and freed before the next one loads; only the
# scores are compared.
def sequential_comparison(batch):
    scores_a = evaluate_checkpoint("01-ai/Yi-6B", batch)
    scores_b = evaluate_checkpoint("lmsys/vicuna-7b-v1.5", batch)
    return [a - b for a, b in zip(scores_a, scores_b)]


# Sequential in one function, with del and empty_cache between the loads.
def sequential_inline(batch):
    model = AutoModelForCausalLM.from_pretrained("allenai/OLMo-7B-hf", torch_dtype=torch.bfloat16)
    first = next_token_logprobs(model, batch).cpu()
    del model
    torch.cuda.empty_cache()
    model = AutoModelForCausalLM.from_pretrained("allenai/OLMo-7B-Instruct-hf", torch_dtype=torch.bfloat16)
    second = next_token_logprobs(model, batch).cpu()
    del model
    return F.kl_div(second, first, log_target=True, reduction="batchmean").item()


# A loop over checkpoints that frees each model before the next iteration loads.
def sweep_with_del(batch):
    results = {}
    for name in ("EleutherAI/pythia-6.9b", "EleutherAI/pythia-12b"):
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
        results[name] = next_token_logprobs(model, batch).max(-1).values.tolist()
        del model
        torch.cuda.empty_cache()
    return results


# One large model plus a small classifier (bert-base, 110M) that scores its generations.
def generate_and_classify(prompts):
    tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-13b-chat-hf")
    tokenizer.pad_token = tokenizer.eos_token
    generator = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-13b-chat-hf", torch_dtype=torch.bfloat16)
    classifier_tokenizer = AutoTokenizer.from_pretrained("textattack/bert-base-uncased-SST-2")
    classifier = AutoModelForSequenceClassification.from_pretrained("textattack/bert-base-uncased-SST-2")
    encoded = tokenizer(prompts, return_tensors="pt", padding=True)
    texts = tokenizer.batch_decode(generator.generate(**encoded, max_new_tokens=48), skip_special_tokens=True)
    with torch.inference_mode():
        logits = classifier(**classifier_tokenizer(texts, return_tensors="pt", padding=True, truncation=True)).logits
    return logits.softmax(-1)[:, 1].tolist()


# Two small models at once (distillation from gpt2-medium into gpt2): well under 1B each.
def distill_small(batch, steps=100):
    teacher = AutoModelForCausalLM.from_pretrained("gpt2-medium")
    student = AutoModelForCausalLM.from_pretrained("gpt2")
    optimizer = torch.optim.AdamW(student.parameters(), lr=5e-5)
    for _ in range(steps):
        with torch.no_grad():
            target = teacher(**batch).logits.log_softmax(-1)
        loss = F.kl_div(student(**batch).logits.log_softmax(-1), target, log_target=True, reduction="batchmean")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return student


# --- judgment calls ----------------------------------------------------------------------------

# Rebinding in a loop without `del`: while from_pretrained runs, the previous iteration's model is
# still bound to `model`, so peak memory briefly holds two. Reporting it is defensible, so is not.
def sweep_without_del(batch):
    results = {}
    for name in ("google/gemma-2-9b", "google/gemma-2-27b"):
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)  # allow: FS105
        results[name] = next_token_logprobs(model, batch).max(-1).values.tolist()
    return results


# Two checkpoints known only at run time: they may be large or small.
def compare_cli(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-a", required=True)
    parser.add_argument("--model-b", required=True)
    args = parser.parse_args(argv)
    model_a = AutoModelForCausalLM.from_pretrained(args.model_a, torch_dtype=torch.bfloat16)
    model_b = AutoModelForCausalLM.from_pretrained(args.model_b, torch_dtype=torch.bfloat16)  # allow: FS105
    return model_a.num_parameters(), model_b.num_parameters()
