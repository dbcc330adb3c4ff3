"""Applying a steering vector at generation time, and directional ablation in weight space."""
from contextlib import contextmanager

import torch


def _make_hook(vec, alpha):
    def hook(module, inputs, output):
        if isinstance(output, tuple):
            return (output[0] + alpha * vec.to(output[0].dtype),) + tuple(output[1:])
        return output + alpha * vec.to(output.dtype)

    return hook


@contextmanager
def steering(model, layer, vec, alpha):
    handle = model.model.layers[layer].register_forward_hook(_make_hook(vec, alpha))
    try:
        yield model
    finally:
        handle.remove()


def add_steering(model, layer, vec, alpha):
    """Steer ``model`` for the rest of the session (used by the interactive demo)."""
    model.model.layers[layer].register_forward_hook(_make_hook(vec, alpha))  # expect: FS301


def generate(model, tokenizer, prompts, max_new_tokens, device):
    enc = tokenizer(prompts, return_tensors="pt", padding=True).to(device)
    out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
    new_tokens = out[:, enc["input_ids"].shape[1] :]
    return tokenizer.batch_decode(new_tokens, skip_special_tokens=True)


@torch.no_grad()
def orthogonalize_(model, direction, alpha):
    """Remove ``alpha`` times the ``direction`` component from every MLP write (in place)."""
    d = direction / direction.norm()
    for block in model.model.layers:
        W = block.mlp.down_proj.weight
        d_w = d.to(W.dtype)
        W.data -= alpha * torch.outer(d_w, d_w @ W.data)
