"""FS101 reload-in-loop: a checkpoint is reloaded inside a loop to undo weight edits.

House rules of this file, so that only FS101 is under test:
- every large model is loaded with a half-precision dtype (FS401 stays quiet),
- every case loads its own checkpoint name (no two cases look like one FS103 duplicate),
- models loaded in a loop are deleted before the next iteration loads again (FS105),
- every forward pass runs under inference_mode (FS201).
"""

import time

import torch
from transformer_lens import HookedTransformer
from transformers import AutoModelForCausalLM, AutoTokenizer

LLAMA_7B = "meta-llama/Llama-2-7b-hf"
MISTRAL_7B = "mistralai/Mistral-7B-v0.1"
STEER_LAYER = 14


@torch.inference_mode()
def score_prompts(model, tokenizer, prompts):
    """Mean log-probability the model assigns to each prompt (the evaluation every sweep runs)."""
    batch = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    logits = model(**batch).logits
    logprobs = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    picked = logprobs.gather(-1, batch["input_ids"][:, 1:, None]).squeeze(-1)
    return picked.mean(dim=-1).tolist()


# --- true positives --------------------------------------------------------------------------

# Direct: the catalog's steering sweep. The checkpoint is a module constant (loop-invariant) and
# the loop edits one MLP right after the reload, so the reload only serves to undo the last edit.
def steering_sweep(vectors, prompts):
    tokenizer = AutoTokenizer.from_pretrained(LLAMA_7B)
    results = []
    for vector in vectors:
        model = AutoModelForCausalLM.from_pretrained(LLAMA_7B, torch_dtype=torch.bfloat16)  # expect: FS101
        down_proj = model.model.layers[STEER_LAYER].mlp.down_proj
        down_proj.weight.data += torch.outer(vector, vector @ down_proj.weight.data)
        results.append(score_prompts(model, tokenizer, prompts))
        del model
        torch.cuda.empty_cache()
    return results


# Direct, neuron ablation: the reload resets a column zeroed by the previous iteration. The
# checkpoint is a local string built before the loop, still loop-invariant.
def neuron_ablation(neurons, prompts):
    checkpoint = "google/" + "gemma-7b"
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    effects = {}
    for neuron in neurons:
        model = AutoModelForCausalLM.from_pretrained(checkpoint, torch_dtype=torch.bfloat16)  # expect: FS101
        model.model.layers[STEER_LAYER].mlp.down_proj.weight.data[:, neuron] = 0.0
        effects[neuron] = score_prompts(model, tokenizer, prompts)
        del model
    return effects


# Direct, checkpoint given as a parameter: its value is unknown but it does not change inside
# the loop, and the loop rescales attention weights in place.
def head_scaling_sweep(checkpoint, scales, prompts):
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    scores = []
    for scale in scales:
        model = AutoModelForCausalLM.from_pretrained(checkpoint, torch_dtype=torch.float16)  # expect: FS101
        with torch.no_grad():
            model.model.layers[STEER_LAYER].self_attn.o_proj.weight.mul_(scale)
        scores.append(score_prompts(model, tokenizer, prompts))
        del model
    return scores


# Direct, TransformerLens: reloading a HookedTransformer to undo an edit of W_out.
def tl_neuron_knockout(neurons, prompt):
    results = []
    for layer, neuron in neurons:
        model = HookedTransformer.from_pretrained("pythia-6.9b", dtype=torch.bfloat16)  # expect: FS101
        model.blocks[layer].mlp.W_out.data[neuron] = 0.0
        with torch.inference_mode():
            loss = model(prompt, return_type="loss")
        results.append(loss.item())
        del model
    return results


# Reset through a state-dict file: every iteration reads the same file from disk again to undo
# the previous iteration's edit. Same waste, different loader.
def rank_one_edits(model, edits, prompts, tokenizer):
    for u, v in edits:
        model.load_state_dict(torch.load("checkpoints/sft-llama-7b.pt", map_location="cuda"))  # expect: FS101
        with torch.no_grad():
            model.model.layers[STEER_LAYER].mlp.down_proj.weight.add_(torch.outer(u, v))
        print(score_prompts(model, tokenizer, prompts))


# Loaded once before the loop and reloaded at the end of each iteration to reset. The in-loop
# load is the FS101 site; it is also a second load of the same checkpoint, which FS103 may
# report on the same line.
def alpha_sweep_with_reset(direction, alphas, prompts):
    name = "Qwen/Qwen2-7B"
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    curve = []
    for alpha in alphas:
        model.model.layers[STEER_LAYER].mlp.down_proj.weight.data -= alpha * torch.outer(direction, direction @ model.model.layers[STEER_LAYER].mlp.down_proj.weight.data)
        curve.append(score_prompts(model, tokenizer, prompts))
        del model
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)  # expect: FS101 allow: FS103
    return curve


# --- cross-function cases ----------------------------------------------------------------------

def fresh_mistral():
    return AutoModelForCausalLM.from_pretrained(MISTRAL_7B, torch_dtype=torch.bfloat16)


# Two calls: the loop reloads through a helper and then edits the weights itself. Reported at
# the call inside the loop; the path leads to the from_pretrained in fresh_mistral().
def layer_sweep(layers, vector, prompts):
    tokenizer = AutoTokenizer.from_pretrained(MISTRAL_7B)
    by_layer = {}
    for layer in layers:
        model = fresh_mistral()  # expect: FS101
        model.model.layers[layer].mlp.down_proj.weight.data += torch.outer(vector, vector @ model.model.layers[layer].mlp.down_proj.weight.data)
        by_layer[layer] = score_prompts(model, tokenizer, prompts)
        del model
    return by_layer


def load_base():
    return AutoModelForCausalLM.from_pretrained("tiiuae/falcon-7b", torch_dtype=torch.bfloat16)


def build_ablated(layer):
    model = load_base()
    model.transformer.h[layer].mlp.dense_4h_to_h.weight.data.zero_()
    return model


def run_ablation(layer, tokenizer, prompts):
    model = build_ablated(layer)
    scores = score_prompts(model, tokenizer, prompts)
    del model
    return scores


# Three calls: the statement in the loop calls run_ablation(), which calls build_ablated()
# (where the weights are zeroed), which calls load_base() (where the constant checkpoint is
# loaded). Reported at run_ablation(...) inside the loop.
def ablation_study(layers, tokenizer, prompts):
    table = {}
    for layer in layers:
        table[layer] = run_ablation(layer, tokenizer, prompts)  # expect: FS101
    return table


def reinit_blocks(model, blocks):
    """Re-initialize whole transformer blocks in place (a "which blocks matter" study)."""
    with torch.no_grad():
        for k in blocks:
            for name, p in model.transformer.h[k].named_parameters():
                if name.endswith("bias"):
                    torch.nn.init.zeros_(p)
                else:
                    torch.nn.init.normal_(p, std=0.02)


# Two calls: the helper edits every parameter of the chosen blocks through named_parameters();
# those tensors are the model's own weights, so the reload only undoes that edit.
def block_reinit_sweep(block_sets, prompts):
    tokenizer = AutoTokenizer.from_pretrained("tiiuae/falcon-40b")
    results = []
    for blocks in block_sets:
        model = AutoModelForCausalLM.from_pretrained("tiiuae/falcon-40b", torch_dtype=torch.bfloat16)  # expect: FS101
        reinit_blocks(model, blocks)
        results.append(score_prompts(model, tokenizer, prompts))
        del model
    return results


def shrink_block(model, k, factor):
    with torch.no_grad():
        for p in model.transformer.h[k].parameters():
            if factor == 0:
                p.zero_()
            else:
                p.data.copy_(p.data * factor)


# Two calls, parameters() and in-place tensor methods (`zero_`, `.data.copy_`) in the helper.
def block_shrink_sweep(factors, prompts):
    tokenizer = AutoTokenizer.from_pretrained("bigscience/bloom-7b1")
    curve = {}
    for factor in factors:
        model = AutoModelForCausalLM.from_pretrained("bigscience/bloom-7b1", torch_dtype=torch.bfloat16)  # expect: FS101
        shrink_block(model, 4, factor)
        curve[factor] = score_prompts(model, tokenizer, prompts)
        del model
    return curve


# The base model is reloaded every iteration only to have another set of weights copied over
# it with load_state_dict(): loading it once and loading each state dict into it is enough.
def merged_delta_sweep(delta_paths, prompts):
    tokenizer = AutoTokenizer.from_pretrained("mosaicml/mpt-7b")
    table = {}
    for path in delta_paths:
        model = AutoModelForCausalLM.from_pretrained("mosaicml/mpt-7b", torch_dtype=torch.bfloat16)  # expect: FS101 "load_state_dict"
        model.load_state_dict(torch.load(path, map_location="cpu"), strict=False)
        table[path] = score_prompts(model, tokenizer, prompts)
        del model
    return table


def train_steps(model, optimizer, batches):
    model.train()
    for batch in batches:
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return loss.item()


# Fine-tuning restarts: each seed reloads the same base checkpoint from disk to undo the previous
# run's optimizer updates (made in train_steps()); an in-memory copy of the initial weights
# resets it without reading the checkpoint again.
def seed_restarts(seeds, batches):
    final_loss = {}
    for seed in seeds:
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-1.4b", torch_dtype=torch.bfloat16)  # expect: FS101 "restart training"
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
        final_loss[seed] = train_steps(model, optimizer, batches)
        del model, optimizer
    return final_loss


# --- near-miss negatives -----------------------------------------------------------------------

# The same block re-initialization, but over a different checkpoint each iteration: a comparison
# across models, nothing is reloaded to be reset.
def block_reinit_across_models(prompts):
    table = {}
    for name in ("tiiuae/falcon-rw-1b", "EleutherAI/gpt-neo-2.7B"):
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
        reinit_blocks(model, [0, 1])
        table[name] = score_prompts(model, tokenizer, prompts)
        del model
    return table


# Reloads the same checkpoint every iteration but only reads it: wasteful, but no edit is being
# undone, so this is not the reload-to-reset pattern.
def reload_and_read(prompt_sets):
    tokenizer = AutoTokenizer.from_pretrained("Salesforce/xgen-7b-8k-base")
    scores = []
    for prompts in prompt_sets:
        model = AutoModelForCausalLM.from_pretrained("Salesforce/xgen-7b-8k-base", torch_dtype=torch.bfloat16)
        scores.append(score_prompts(model, tokenizer, prompts))
        del model
    return scores


# Reloads the base model and the same fine-tuned weights on every iteration, then only reads
# them: load_state_dict() copies identical weights each time, so nothing is being reset.
def reload_merged_and_read(prompt_sets):
    tokenizer = AutoTokenizer.from_pretrained("tiiuae/falcon-rw-7b")
    scores = []
    for prompts in prompt_sets:
        model = AutoModelForCausalLM.from_pretrained("tiiuae/falcon-rw-7b", torch_dtype=torch.bfloat16)
        model.load_state_dict(torch.load("checkpoints/sft-falcon-rw-7b.pt", map_location="cpu"), strict=False)
        scores.append(score_prompts(model, tokenizer, prompts))
        del model
    return scores


# An optimizer in the loop, but over another model: the reloaded teacher is only read, and its
# gradients (`p.grad`) are cleared, which does not change its weights.
def distill_rounds(rounds, batches):
    student = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-160m")
    optimizer = torch.optim.AdamW(student.parameters(), lr=5e-5)
    for _ in range(rounds):
        teacher = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-2.8b", torch_dtype=torch.bfloat16)
        for p in teacher.parameters():
            if p.grad is not None:
                p.grad.zero_()
        train_steps(student, optimizer, batches)
        del teacher
    return student

# A different checkpoint each iteration (the same ablation compared across models): the loop
# edits weights, but it never reloads what it edited, so it is not a reset.
def compare_checkpoints(neuron, prompts):
    names = ["allenai/OLMo-7B-hf", "01-ai/Yi-6B", "lmsys/vicuna-7b-v1.5"]
    table = {}
    for name in names:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
        model.model.layers[STEER_LAYER].mlp.down_proj.weight.data[:, neuron] = 0.0
        table[name] = score_prompts(model, tokenizer, prompts)
        del model
        torch.cuda.empty_cache()
    return table


# Same name but a different training revision each iteration: a different checkpoint, so it is
# a sweep over training time, not a reload.
def training_dynamics(revisions, neuron, prompts):
    tokenizer = AutoTokenizer.from_pretrained("EleutherAI/pythia-12b")
    curve = []
    for step in revisions:
        model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-12b", revision=f"step{step}", torch_dtype=torch.bfloat16)
        model.gpt_neox.layers[6].mlp.dense_4h_to_h.weight.data[:, neuron] = 0.0
        curve.append(score_prompts(model, tokenizer, prompts))
        del model
    return curve


# The catalog's fix: load once, clone the one weight that changes, restore it after each trial.
def steering_sweep_clone_restore(vectors, prompts):
    name = "HuggingFaceH4/zephyr-7b-beta"
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    weight = model.model.layers[STEER_LAYER].mlp.down_proj.weight
    original = weight.detach().clone()
    results = []
    for vector in vectors:
        with torch.no_grad():
            weight.copy_(original + torch.outer(vector, vector @ original))
        results.append(score_prompts(model, tokenizer, prompts))
        with torch.no_grad():
            weight.copy_(original)
    return results


# The catalog's best fix: a forward hook adds the vector, the weights never change.
def steering_sweep_hooks(vectors, prompts):
    name = "NousResearch/Llama-2-13b-hf"
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    results = []
    for vector in vectors:
        def add_vector(module, inputs, output, vector=vector):
            return (output[0] + vector,) + tuple(output[1:])

        handle = model.model.layers[STEER_LAYER].register_forward_hook(add_vector)
        results.append(score_prompts(model, tokenizer, prompts))
        handle.remove()
    return results


# Reset from an in-memory copy of the state dict: one load, no disk traffic in the loop.
def rank_one_edits_in_memory(edits, prompts):
    name = "meta-llama/Meta-Llama-3-8B"
    tokenizer = AutoTokenizer.from_pretrained(name)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16)
    pristine = {key: value.detach().to("cpu", copy=True) for key, value in model.state_dict().items()}
    for u, v in edits:
        with torch.no_grad():
            model.model.layers[STEER_LAYER].mlp.down_proj.weight.add_(torch.outer(u, v))
        print(score_prompts(model, tokenizer, prompts))
        model.load_state_dict(pristine)


# A retry loop around a flaky download: the loop repeats the load but never edits the weights.
def load_with_retries(attempts=3):
    for attempt in range(attempts):
        try:
            return AutoModelForCausalLM.from_pretrained("google/gemma-2-9b", torch_dtype=torch.bfloat16)
        except OSError:
            time.sleep(2**attempt)
    raise RuntimeError("could not download google/gemma-2-9b")
