"""Ground truth for the attribution scores: real activation patching, one head at a time."""
import copy

import torch

from . import common


def patch_head_hook(layer_idx, head, head_dim, source):
    def hook(module, inputs):
        (z,) = inputs
        z = z.clone()
        sl = slice(head * head_dim, (head + 1) * head_dim)
        z[..., sl] = source[layer_idx][..., sl]
        return (z,)
    return hook


@torch.no_grad()
def clean_head_inputs(model, clean):
    store = {}
    handles = []
    for i, block in enumerate(model.transformer.h):
        def hook(module, inputs, output, i=i):
            store[i] = inputs[0]  # allow: FS304
        handles.append(block.attn.c_proj.register_forward_hook(hook))
    try:
        model(**clean)
    finally:
        for h in handles:
            h.remove()
    return store


@torch.no_grad()
def activation_patching(model, clean, corrupt, answers):
    n_layers, n_heads = model.config.n_layer, model.config.n_head
    head_dim = model.config.n_embd // n_heads
    clean_z = clean_head_inputs(model, clean)
    base = common.logit_diff(model(**corrupt).logits, corrupt["attention_mask"], answers).item()
    effects = torch.zeros(n_layers, n_heads)
    for l in range(n_layers):
        attn_out = model.transformer.h[l].attn.c_proj
        for h in range(n_heads):
            handle = attn_out.register_forward_pre_hook(patch_head_hook(l, h, head_dim, clean_z))
            patched = model(**corrupt).logits
            handle.remove()
            effects[l, h] = common.logit_diff(patched, corrupt["attention_mask"], answers).item() - base
    return effects


@torch.no_grad()
def noise_robustness(model, clean, corrupt, answers, sigma=0.01, seeds=(0, 1, 2)):
    """Do the top heads stay on top when the weights are perturbed?"""
    out = []
    for seed in seeds:
        torch.manual_seed(seed)
        noisy = copy.deepcopy(model)  # expect: FS104
        for p in noisy.parameters():
            p.add_(torch.randn_like(p) * sigma * p.std())
        out.append(activation_patching(noisy, clean, corrupt, answers))
        del noisy
    return torch.stack(out)


def run(args):
    model = common.load_model(args.model)  # expect: FS103
    tok = common.load_tokenizer(args.model)
    rows = common.load_pairs(args.pairs)
    clean, corrupt, answers = common.encode_pairs(tok, rows)
    effects = activation_patching(model, clean, corrupt, answers)
    noisy = noise_robustness(model, clean, corrupt, answers) if args.noise else None
    return {"effects": effects, "noisy_effects": noisy}
