"""Residual-stream activations at the last token of each statement, for every layer."""
import hashlib
import os

import torch
from tqdm import tqdm

from .data import batched

CACHE_DIR = os.environ.get("PROBE_CACHE", "cache/activations")


def collect_hidden_states(model, tokenizer, statements, layers, batch_size=32):
    device = next(model.parameters()).device
    per_layer = {l: [] for l in layers}
    with torch.no_grad():
        for batch in tqdm(list(batched(statements, batch_size)), desc="activations"):
            enc = tokenizer([s.text for s in batch], return_tensors="pt", padding=True).to(device)
            out = model(**enc, output_hidden_states=True)
            for l in layers:
                # hidden_states[0] is the embedding output, so layer l is index l + 1
                per_layer[l].append(out.hidden_states[l + 1][:, -1, :].float().cpu())
    return {l: torch.cat(chunks) for l, chunks in per_layer.items()}


def _cache_key(model_name, statements, layers):
    h = hashlib.sha1()
    h.update(model_name.encode())
    for s in statements:
        h.update(s.text.encode())
    h.update(str(sorted(layers)).encode())
    return h.hexdigest()[:16]


def cached_hidden_states(model_name, model, tokenizer, statements, layers, batch_size=32):
    os.makedirs(CACHE_DIR, exist_ok=True)
    path = os.path.join(CACHE_DIR, _cache_key(model_name, statements, layers) + ".pt")
    if os.path.exists(path):
        return torch.load(path)
    acts = collect_hidden_states(model, tokenizer, statements, layers, batch_size)
    torch.save(acts, path)
    return acts
