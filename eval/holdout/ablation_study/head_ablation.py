"""Mean-free head ablation: zero the o_proj columns of one head at a time (weights restored)."""
import torch

from .common import perplexity


def run(cfg, model, tok, texts):
    n_heads = model.config.num_attention_heads
    head_dim = model.config.hidden_size // n_heads
    results = {}
    for layer_idx in cfg.layers:
        o_proj = model.model.layers[layer_idx].self_attn.o_proj
        original = o_proj.weight.detach().clone()
        for h in range(n_heads):
            with torch.no_grad():
                o_proj.weight[:, h * head_dim : (h + 1) * head_dim] = 0
            results[(layer_idx, h)] = perplexity(model, tok, texts, batch_size=cfg.batch_size)
            with torch.no_grad():
                o_proj.weight.copy_(original)
    return {f"{l}.{h}": v for (l, h), v in results.items()}
