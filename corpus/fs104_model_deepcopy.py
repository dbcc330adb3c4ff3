"""FS104 model-deepcopy: copy.deepcopy of a whole model where cloning a few tensors would do.

Large models are loaded in bf16 (FS401), each function holds one large model (FS105), every
checkpoint name appears once (FS103) and forward passes run under no_grad (FS201). The finding
is the deepcopy call itself, also inside a helper that some caller hands a model.
"""

import copy
from copy import deepcopy

import torch
import torch.nn.functional as F
from transformer_lens import HookedTransformer
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

LAYER = 12


@torch.no_grad()
def kl_to_reference(model, reference_logits, batch):
    logits = model(**batch).logits
    return F.kl_div(logits.log_softmax(-1), reference_logits.log_softmax(-1), log_target=True, reduction="batchmean").item()


# --- true positives --------------------------------------------------------------------------

# Direct: the catalog's case. A full copy of a 7B model kept only to compare against later.
def edit_and_compare(batch, neuron):
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf", torch_dtype=torch.bfloat16)
    original = copy.deepcopy(model)  # expect: FS104
    model.model.layers[LAYER].mlp.down_proj.weight.data[:, neuron] = 0.0
    with torch.no_grad():
        reference_logits = original(**batch).logits
    return kl_to_reference(model, reference_logits, batch)


# Direct, imported name and inside a loop: one full copy per steering vector.
def steer_each_copy(vectors, batch):
    base = AutoModelForCausalLM.from_pretrained("mistralai/Mistral-7B-v0.1", torch_dtype=torch.bfloat16)
    with torch.no_grad():
        reference_logits = base(**batch).logits
    shifts = []
    for vector in vectors:
        steered = deepcopy(base)  # expect: FS104
        steered.model.layers[LAYER].mlp.down_proj.weight.data += torch.outer(vector, vector @ steered.model.layers[LAYER].mlp.down_proj.weight.data)
        shifts.append(kl_to_reference(steered, reference_logits, batch))
        del steered
    return shifts


# Direct, TransformerLens model.
def tl_ablation_copy(tokens, head):
    model = HookedTransformer.from_pretrained("gemma-7b", dtype=torch.bfloat16)
    ablated = copy.deepcopy(model)  # expect: FS104
    ablated.blocks[LAYER].attn.W_O.data[head] = 0.0
    with torch.no_grad():
        return (model(tokens, return_type="loss") - ablated(tokens, return_type="loss")).item()


class SteeringExperiment:
    def __init__(self, checkpoint):
        self.model = AutoModelForCausalLM.from_pretrained(checkpoint, torch_dtype=torch.bfloat16)

    def variant(self):
        # Direct, through an attribute: self.model holds the model loaded in __init__.
        return copy.deepcopy(self.model)  # expect: FS104


def run_steering_variants(batch):
    experiment = SteeringExperiment("allenai/OLMo-7B-hf")
    with torch.no_grad():
        reference_logits = experiment.model(**batch).logits
    variant = experiment.variant()
    variant.model.layers[LAYER].mlp.down_proj.weight.data.mul_(0.5)
    return kl_to_reference(variant, reference_logits, batch)


def clone_model(model):
    return copy.deepcopy(model)  # expect: FS104


def ablate_head(model, layer, head):
    ablated = clone_model(model)
    ablated.model.layers[layer].self_attn.o_proj.weight.data[:, head * 128:(head + 1) * 128] = 0.0
    return ablated


def head_effect(model, layer, head, batch):
    with torch.no_grad():
        reference_logits = model(**batch).logits
    ablated = ablate_head(model, layer, head)
    effect = kl_to_reference(ablated, reference_logits, batch)
    del ablated
    return effect


# Three calls: the model loaded here reaches the deepcopy through head_effect() -> ablate_head()
# -> clone_model(). The finding is the deepcopy inside clone_model(); the path shows this caller.
def head_ablation_study(batch):
    model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2-7B", torch_dtype=torch.bfloat16)
    return {(layer, head): head_effect(model, layer, head, batch) for layer in (4, 12) for head in range(28)}


def snapshot(obj):
    return copy.deepcopy(obj)  # expect: FS104


# Two calls, mixed callers: snapshot() receives a dict here (fine) ...
def log_run_config(run_config):
    frozen = snapshot(run_config)
    frozen["frozen"] = True
    return frozen


# ... and a model here, which is why the deepcopy in snapshot() is reported.
def keep_pre_finetune_copy():
    model = AutoModelForCausalLM.from_pretrained("google/gemma-7b", torch_dtype=torch.bfloat16)
    before = snapshot(model)
    return model, before


# Unknown origin, typed from use: nobody calls this function, but `model.eval()` and the layer
# attribute path say `model` is a model. Lower confidence, still a whole-model copy.
def make_ablated_variant(model, neuron):
    model.eval()
    variant = copy.deepcopy(model)  # expect: FS104
    variant.model.layers[LAYER].mlp.down_proj.weight.data[:, neuron] = 0.0
    return variant


# --- near-miss negatives -----------------------------------------------------------------------

DEFAULT_RUN = {"lr": 1e-4, "layers": [4, 8, 12], "seed": 0}


# deepcopy of a nested hyperparameter dict.
def sweep_configs(learning_rates):
    configs = []
    for lr in learning_rates:
        cfg = copy.deepcopy(DEFAULT_RUN)
        cfg["lr"] = lr
        configs.append(cfg)
    return configs


# deepcopy of the model's configuration objects, not of the model.
def greedy_generation_config(model):
    generation_config = copy.deepcopy(model.generation_config)
    generation_config.do_sample = False
    model_config = deepcopy(model.config)
    model_config.use_cache = True
    return generation_config, model_config


# The catalog's fix: clone only the weight that changes.
def edit_and_compare_cloned(batch, neuron):
    model = AutoModelForCausalLM.from_pretrained("tiiuae/falcon-7b", torch_dtype=torch.bfloat16)
    with torch.no_grad():
        reference_logits = model(**batch).logits
    weight = model.transformer.h[LAYER].mlp.dense_4h_to_h.weight
    saved = weight[:, neuron].detach().clone()
    weight.data[:, neuron] = 0.0
    shift = kl_to_reference(model, reference_logits, batch)
    weight.data[:, neuron] = saved
    return shift


def with_defaults(overrides):
    merged = copy.deepcopy({"max_new_tokens": 64, "stop": ["\n\n"]})
    merged.update(overrides)
    return merged


# A helper that only ever receives plain data: every caller passes a dict or a list of prompts.
def prepare_requests(prompts):
    requests = [with_defaults({"prompt": prompt}) for prompt in copy.deepcopy(prompts)]
    return requests, GenerationConfig(**with_defaults({"temperature": 0.7}))


# Tokenized batches are dicts of (cpu) tensors, not models.
def tokenize_twice(prompts):
    tokenizer = AutoTokenizer.from_pretrained("EleutherAI/pythia-6.9b")
    encoded = tokenizer(prompts, return_tensors="pt", padding=True)
    corrupted = copy.deepcopy(encoded)
    corrupted["input_ids"][:, 1] = tokenizer.unk_token_id or 0
    return encoded, corrupted


# --- judgment calls ----------------------------------------------------------------------------

# A frozen reference policy or an EMA teacher genuinely needs a second full copy of the
# weights; a deepcopy is one honest way to get it. A finding here is neither required nor wrong.
def build_ema_teacher(student):
    student.train()
    teacher = copy.deepcopy(student)  # allow: FS104
    teacher.requires_grad_(False)
    return teacher


# Snapshotting the best state of a tiny linear probe during early stopping: a deepcopy of a
# 4k-parameter state dict costs nothing.
def train_probe_early_stopping(features, labels, epochs=50):
    probe = torch.nn.Linear(features.shape[1], 1)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-3)
    best_loss, best_state = float("inf"), None
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(probe(features).squeeze(-1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if loss.item() < best_loss:
            best_loss, best_state = loss.item(), copy.deepcopy(probe.state_dict())  # allow: FS104
    probe.load_state_dict(best_state)
    return probe
