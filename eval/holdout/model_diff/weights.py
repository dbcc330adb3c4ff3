"""Relative Frobenius-norm change of every weight matrix, base -> chat."""
import collections

import torch

from .loading import load


@torch.no_grad()
def relative_changes(base, chat):
    chat_params = dict(chat.named_parameters())
    rows = []
    for name, p_base in base.named_parameters():
        p_chat = chat_params[name]
        delta = (p_chat.float() - p_base.float()).norm() / p_base.float().norm()
        rows.append((name, delta.item()))
    return rows


def per_layer_summary(rows):
    by_layer = collections.defaultdict(list)
    for name, delta in rows:
        parts = name.split(".")
        if "layers" in parts:
            idx = int(parts[parts.index("layers") + 1])
            by_layer[idx].append(delta)
    return {l: sum(v) / len(v) for l, v in sorted(by_layer.items())}


def compare(cfg):
    base = load(cfg.base_model, cfg.device)
    chat = load(cfg.chat_model, cfg.device)  # expect: FS105
    rows = relative_changes(base, chat)
    return {"per_param": rows, "per_layer": per_layer_summary(rows)}
