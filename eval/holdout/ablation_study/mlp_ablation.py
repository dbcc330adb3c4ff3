"""Ablate top-k MLP neurons (by activation norm) per layer; restore from a pristine copy."""
import torch

from .common import perplexity, snapshot


@torch.no_grad()
def neuron_norms(model, tok, texts, layer_idx, device="cuda"):
    store = {}

    def hook(module, inputs, output):
        store["acts"] = inputs[0].detach().float().norm(dim=(0, 1))

    handle = model.model.layers[layer_idx].mlp.down_proj.register_forward_hook(hook)
    try:
        enc = tok(texts[:32], return_tensors="pt", padding=True, truncation=True, max_length=256).to(device)
        model(**enc)
    finally:
        handle.remove()
    return store["acts"]


def run(cfg, model, tok, texts):
    pristine = snapshot(model)  # allow: FS105
    results = {}
    for layer_idx in cfg.layers:
        norms = neuron_norms(model, tok, texts, layer_idx)
        top = norms.topk(cfg.top_k_neurons).indices
        with torch.no_grad():
            model.model.layers[layer_idx].mlp.down_proj.weight[:, top] = 0
        results[layer_idx] = perplexity(model, tok, texts, batch_size=cfg.batch_size)
        model.load_state_dict(pristine.state_dict())
    return results
