"""FS103 duplicate-model-load: one checkpoint loaded twice in one execution.

Each case has its own driver (`case_*`) and its own checkpoint name, so loads in different
cases are never the same checkpoint. Large models are loaded in bf16 (FS401), the first copy is
out of scope or deleted before the second load (FS105), and forward passes run under
inference_mode (FS201). The finding sits at the second load's own call site: the deepest call
on its path that the first load's path does not share.
"""

import argparse
import functools

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer


@torch.inference_mode()
def perplexity(model, tokenizer, texts):
    batch = tokenizer(texts, return_tensors="pt", padding=True).to(model.device)
    return torch.exp(model(**batch, labels=batch["input_ids"]).loss).item()


@torch.inference_mode()
def last_token_states(model, tokenizer, texts, layer):
    batch = tokenizer(texts, return_tensors="pt", padding=True).to(model.device)
    hidden = model(**batch, output_hidden_states=True).hidden_states[layer]
    return hidden[:, -1].float().cpu()


# --- true positives --------------------------------------------------------------------------

# Direct: a notebook-turned-script frees the model after the first analysis and loads the same
# checkpoint again for the second one. The second from_pretrained is the duplicate.
def case_reload_between_analyses(texts):
    name = "meta-llama/Llama-2-7b-hf"
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    ppl = perplexity(model, tokenizer, texts)
    del model
    torch.cuda.empty_cache()
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)  # expect: FS103
    states = last_token_states(model, tokenizer, texts, layer=16)
    return ppl, states


MISTRAL = "mistralai/Mistral-7B-v0.1"


def load_mistral():
    return AutoModelForCausalLM.from_pretrained(MISTRAL, torch_dtype=torch.bfloat16)


def evaluate_mistral(texts):
    tokenizer = AutoTokenizer.from_pretrained(MISTRAL)
    return perplexity(load_mistral(), tokenizer, texts)


def probe_mistral(texts):
    tokenizer = AutoTokenizer.from_pretrained(MISTRAL)
    model = load_mistral()  # expect: FS103
    return last_token_states(model, tokenizer, texts, layer=20)


# Two calls: each experiment calls the same loader helper. The paths share the from_pretrained
# inside load_mistral(), so the finding is the second experiment's call of load_mistral().
def case_helper_called_twice(texts):
    ppl = evaluate_mistral(texts)
    states = probe_mistral(texts)
    return ppl, states


def load_backbone(name):
    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)


def build_probe_model(name, layer):
    backbone = load_backbone(name)  # expect: FS103
    backbone.requires_grad_(False)
    backbone.model.layers = backbone.model.layers[: layer + 1]
    return backbone


def run_probe_stage(name, tokenizer, texts):
    model = build_probe_model(name, layer=18)
    return last_token_states(model, tokenizer, texts, layer=18)


def run_eval_stage(name, tokenizer, texts):
    return perplexity(load_backbone(name), tokenizer, texts)


# Three calls: the checkpoint is a constant in the driver that reaches from_pretrained through
# run_probe_stage() -> build_probe_model() -> load_backbone(name). The first load came through
# run_eval_stage(); the deepest call the two paths do not share is load_backbone() inside
# build_probe_model().
def case_constant_through_three_calls(texts):
    name = "google/gemma-7b"
    tokenizer = AutoTokenizer.from_pretrained(name)
    ppl = run_eval_stage(name, tokenizer, texts)
    states = run_probe_stage(name, tokenizer, texts)
    return ppl, states


class ExperimentRunner:
    checkpoint = "Qwen/Qwen2-7B"

    def baseline(self, texts):
        model = AutoModelForCausalLM.from_pretrained(self.checkpoint, torch_dtype=torch.bfloat16)
        tokenizer = AutoTokenizer.from_pretrained(self.checkpoint)
        return perplexity(model, tokenizer, texts)

    def probing(self, texts):
        model = AutoModelForCausalLM.from_pretrained(self.checkpoint, torch_dtype=torch.bfloat16)  # expect: FS103
        tokenizer = AutoTokenizer.from_pretrained(self.checkpoint)
        return last_token_states(model, tokenizer, texts, layer=12)


# Methods of one class, the checkpoint a class attribute: the second method's load duplicates
# the first one's.
def case_methods_share_class_attribute(texts):
    runner = ExperimentRunner()
    return runner.baseline(texts), runner.probing(texts)


# Two calls, a checkpoint known only at run time: `--model` is required, so its value is unknown
# here, but both helpers load whatever it names, once each, in one run.
def perplexity_of(args, tokenizer, texts):
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.bfloat16)
    return perplexity(model, tokenizer, texts)


def states_of(args, tokenizer, texts):
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.bfloat16)  # expect: FS103 "args.model"
    return last_token_states(model, tokenizer, texts, layer=12)


def case_runtime_checkpoint(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--judge", required=True)
    parser.add_argument("--text", action="append", default=[])
    args = parser.parse_args(argv)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    ppl = perplexity_of(args, tokenizer, args.text)
    states = states_of(args, tokenizer, args.text)
    return ppl, states, judge_of(args, args.text)


# --- near-miss negatives -----------------------------------------------------------------------

# Two different run-time options, each loaded once: --judge is not --model.
def judge_of(args, texts):
    judge = AutoModelForCausalLM.from_pretrained(args.judge, torch_dtype=torch.bfloat16)
    return perplexity(judge, AutoTokenizer.from_pretrained(args.judge), texts)


# A list option: each iteration loads a different checkpoint.
def case_runtime_sweep(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", required=True)
    args = parser.parse_args(argv)
    scores = {}
    for name in args.models:
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
        scores[name] = perplexity(model, AutoTokenizer.from_pretrained(name), ["a b c"])
        del model
    return scores

@functools.lru_cache(maxsize=None)
def cached_model(name):
    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)


# Loads through functools.lru_cache: the second call returns the first model.
def case_lru_cache(texts):
    name = "tiiuae/falcon-7b"
    tokenizer = AutoTokenizer.from_pretrained(name)
    ppl = perplexity(cached_model(name), tokenizer, texts)
    states = last_token_states(cached_model(name), tokenizer, texts, layer=10)
    return ppl, states


_MODEL_MEMO = {}


def memo_model(name):
    if name not in _MODEL_MEMO:
        _MODEL_MEMO[name] = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    return _MODEL_MEMO[name]


# Loads through a dict memo keyed by checkpoint name.
def case_dict_memo(texts):
    name = "allenai/OLMo-7B-hf"
    tokenizer = AutoTokenizer.from_pretrained(name)
    first = perplexity(memo_model(name), tokenizer, texts)
    second = last_token_states(memo_model(name), tokenizer, texts, layer=8)
    return first, second


_SINGLETON = None


def get_judge():
    global _SINGLETON
    if _SINGLETON is None:
        _SINGLETON = AutoModelForCausalLM.from_pretrained("01-ai/Yi-6B", torch_dtype=torch.bfloat16)
    return _SINGLETON


# A module-level singleton: every caller after the first gets the same object.
def case_singleton(texts):
    tokenizer = AutoTokenizer.from_pretrained("01-ai/Yi-6B")
    return perplexity(get_judge(), tokenizer, texts), perplexity(get_judge(), tokenizer, texts[:1])


# Mutually exclusive branches on a command-line argument: only one of the loads ever runs.
def case_exclusive_branches(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", choices=["perplexity", "probe"], default="perplexity")
    parser.add_argument("--text", action="append", default=[])
    args = parser.parse_args(argv)
    name = "lmsys/vicuna-7b-v1.5"
    tokenizer = AutoTokenizer.from_pretrained(name)
    if args.task == "perplexity":
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
        return perplexity(model, tokenizer, args.text)
    else:
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
        return last_token_states(model, tokenizer, args.text, layer=16)


# Tokenizer, config and model of one checkpoint: only one of the three is a model load.
def case_tokenizer_config_and_model(texts):
    name = "HuggingFaceH4/zephyr-7b-beta"
    config = AutoConfig.from_pretrained(name)
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, config=config, torch_dtype=torch.bfloat16)
    return perplexity(model, tokenizer, texts)


# The base and the instruction-tuned variant are different checkpoints, and the same name at two
# revisions is two checkpoints; all loaded one after the other.
def case_different_checkpoints(texts):
    tokenizer = AutoTokenizer.from_pretrained("meta-llama/Meta-Llama-3-8B")
    base = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B", torch_dtype=torch.bfloat16)
    scores = [perplexity(base, tokenizer, texts)]
    del base
    chat = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B-Instruct", torch_dtype=torch.bfloat16)
    scores.append(perplexity(chat, tokenizer, texts))
    del chat
    early = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-6.9b", revision="step1000", torch_dtype=torch.bfloat16)
    scores.append(perplexity(early, AutoTokenizer.from_pretrained("EleutherAI/pythia-6.9b"), texts))
    del early
    late = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-6.9b", revision="step143000", torch_dtype=torch.bfloat16)
    scores.append(perplexity(late, AutoTokenizer.from_pretrained("EleutherAI/pythia-6.9b"), texts))
    return scores


# Load once and pass the model: the catalog's fix for case_helper_called_twice.
def case_load_once_and_pass(texts):
    name = "teknium/OpenHermes-2.5-Mistral-7B"
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    return perplexity(model, tokenizer, texts), last_token_states(model, tokenizer, texts, layer=16)
