"""FS305 cuda-tensor-saved: torch.save of a tensor (or a container holding one) that lives on a
CUDA device.

Activations are collected under no_grad (FS201, FS304), models are small or parameters (FS401,
FS103, FS105), hooks are removed (FS301). The finding is the torch.save call, also inside a
helper that some caller hands a cuda tensor; a helper that only ever receives cpu tensors is
clean.
"""

import os

import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

DEVICE = "cuda"


@torch.no_grad()
def last_token_states(model, tokenizer, texts, layer):
    encoded = tokenizer(texts, return_tensors="pt", padding=True).to(model.device)
    return model(**encoded, output_hidden_states=True).hidden_states[layer][:, -1]


# --- true positives --------------------------------------------------------------------------

# Direct: activations computed by a model on the GPU and saved as they are.
def dump_activations(texts, layer, path):
    tokenizer = AutoTokenizer.from_pretrained("gpt2")
    tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained("gpt2").to(DEVICE)
    activations = last_token_states(model, tokenizer, texts, layer)
    torch.save(activations, path)  # expect: FS305


# Direct, inside a dict: one cuda entry is enough.
def dump_labeled(model, tokenizer, texts, labels, layer, path):
    model.to(DEVICE)
    activations = last_token_states(model, tokenizer, texts, layer)
    torch.save({"activations": activations, "labels": torch.tensor(labels), "layer": layer}, path)  # expect: FS305


# Direct: a steering vector built from cuda activations (difference of means).
def save_steering_vector(model, tokenizer, positive, negative, layer, path):
    model.cuda()
    direction = last_token_states(model, tokenizer, positive, layer).mean(0) - last_token_states(model, tokenizer, negative, layer).mean(0)
    torch.save(direction / direction.norm(), path)  # expect: FS305


# Near miss: the state dict of a probe trained on the GPU holds cuda tensors, but it is the
# standard weight checkpoint (torch.load's map_location reads it anywhere), not an activation.
def train_and_save_probe(features, labels, path, epochs=100):
    features, labels = features.to(DEVICE), labels.to(DEVICE)
    probe = torch.nn.Linear(features.shape[1], 1).to(DEVICE)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2)
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(probe(features).squeeze(-1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.save(probe.state_dict(), path)


def save_tensor(tensor, path):
    torch.save(tensor, path)  # expect: FS305


# Two calls, mixed callers: this caller hands save_tensor() a cpu tensor ...
def save_token_ids(tokenizer, texts, path):
    save_tensor(tokenizer(texts, return_tensors="pt", padding=True)["input_ids"], path)


# ... and this one a cuda tensor, which is why the save in save_tensor() is reported.
def save_mean_activation(model, tokenizer, texts, layer, path):
    model.to(DEVICE)
    save_tensor(last_token_states(model, tokenizer, texts, layer).mean(0), path)


def save_atomic(obj, path):
    tmp_path = path + ".tmp"
    torch.save(obj, tmp_path)  # expect: FS305
    os.replace(tmp_path, path)


def write_shard(activations, index, out_dir):
    save_atomic(activations, os.path.join(out_dir, f"shard_{index:05d}.pt"))


def export_run(shards, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for index, shard in enumerate(shards):
        write_shard(shard, index, out_dir)


# Three calls: the cuda activations reach torch.save through export_run() -> write_shard() ->
# save_atomic().
def collect_and_export(model, tokenizer, batches, layer, out_dir):
    model.to(DEVICE)
    shards = [last_token_states(model, tokenizer, texts, layer) for texts in batches]
    export_run(shards, out_dir)


# Direct: tensors created on the device by factory functions.
def save_random_baseline(d_model, path):
    torch.save(torch.randn(1000, d_model, device="cuda"), path)  # expect: FS305


# --- near-miss negatives -----------------------------------------------------------------------

# The catalog's fix: .cpu() at the save.
def dump_activations_cpu(model, tokenizer, texts, layer, path):
    model.to(DEVICE)
    torch.save(last_token_states(model, tokenizer, texts, layer).cpu(), path)


# Moved to the CPU earlier, then saved (also inside a dict).
def dump_labeled_cpu(model, tokenizer, texts, labels, layer, path):
    model.to(DEVICE)
    activations = last_token_states(model, tokenizer, texts, layer).to("cpu")
    torch.save({"activations": activations, "labels": torch.tensor(labels)}, path)


# A state dict copied to the CPU entry by entry.
def save_probe_cpu(probe, path):
    probe.to(DEVICE)
    torch.save({name: value.detach().cpu() for name, value in probe.state_dict().items()}, path)


# A model that never leaves the CPU: its state dict and outputs are cpu tensors.
def save_cpu_probe(features, labels, path):
    probe = torch.nn.Linear(features.shape[1], 2)
    optimizer = torch.optim.SGD(probe.parameters(), lr=0.1)
    for _ in range(50):
        loss = F.cross_entropy(probe(features), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.save(probe.state_dict(), path)


# CPU tensors from factories and from the tokenizer.
def save_cpu_tensors(tokenizer, texts, path):
    encoded = tokenizer(texts, return_tensors="pt", padding=True)
    torch.save({"input_ids": encoded["input_ids"], "noise": torch.randn(len(texts), 16)}, path)


def save_metrics(metrics, path):
    torch.save(metrics, path)


# A helper that only ever receives cpu data: plain floats and cpu tensors.
def save_run_summary(model, tokenizer, texts, layer, path):
    model.to(DEVICE)
    states = last_token_states(model, tokenizer, texts, layer)
    save_metrics({"mean_norm": states.norm(dim=-1).mean().item(), "states": states.cpu()}, path)
    save_metrics([0.1, 0.2, 0.3], path + ".curve")


# save_pretrained is the library's own serialisation, not torch.save.
def export_model(model, out_dir):
    model.to(DEVICE)
    model.save_pretrained(out_dir)


# Near miss, two calls: a checkpoint helper that only ever receives state dicts of GPU modules.
def write_checkpoint(weights, path):
    torch.save(weights, path)


def checkpoint_steering_head(path):
    head = torch.nn.Linear(4096, 4096).to(DEVICE)
    write_checkpoint(head.state_dict(), path)


# Direct: one weight matrix of a GPU module, saved as a tensor for a dashboard: not a state dict.
def export_unembedding_rows(path):
    head = torch.nn.Linear(4096, 32000).to(DEVICE)
    torch.save(head.weight.data[:100], path)  # expect: FS305


# Two calls, through an object: a budgeted collector accumulates per-batch states in a while
# loop and concatenates them; the caller saves the concatenation straight from the GPU.
class StateCollector:
    def __init__(self, model, tokenizer, layer):
        self.model, self.tokenizer, self.layer = model, tokenizer, layer

    def collect(self, texts, budget):
        chunks, seen = [], 0
        while seen < budget and texts:
            states = last_token_states(self.model, self.tokenizer, texts[:8], self.layer)
            chunks.append(states)
            seen += states.shape[0]
            texts = texts[8:]
        return torch.cat(chunks)


def collect_with_budget(texts, path):
    model = AutoModelForCausalLM.from_pretrained("gpt2").to(DEVICE)
    tokenizer = AutoTokenizer.from_pretrained("gpt2")
    states = StateCollector(model, tokenizer, layer=6).collect(texts, budget=512)
    torch.save(states, path)  # expect: FS305


# Near miss of the same shape: the caller moves the concatenation to the CPU first.
def collect_with_budget_cpu(texts, path):
    model = AutoModelForCausalLM.from_pretrained("gpt2").to(DEVICE)
    tokenizer = AutoTokenizer.from_pretrained("gpt2")
    states = StateCollector(model, tokenizer, layer=6).collect(texts, budget=512)
    torch.save(states.cpu(), path)
