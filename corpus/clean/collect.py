"""Activation collection, computed once per dataset and cached on disk as CPU tensors."""

import os

import torch

from . import config, hooks


@torch.no_grad()
def collect(model, tokenizer, texts, layers):
    with hooks.residual_recorder(model, layers) as store:
        for start in range(0, len(texts), config.BATCH_SIZE):
            encoded = tokenizer(texts[start:start + config.BATCH_SIZE], return_tensors="pt", padding=True).to(model.device)
            model(**encoded)
    return {layer: torch.cat(chunks) for layer, chunks in store.items()}


def cached_activations(model, tokenizer, texts, layers, name):
    path = os.path.join(config.CACHE_DIR, f"{name}_acts.pt")
    if os.path.exists(path):
        return torch.load(path)
    activations = collect(model, tokenizer, texts, layers)
    os.makedirs(config.CACHE_DIR, exist_ok=True)
    torch.save(activations, path)
    return activations
