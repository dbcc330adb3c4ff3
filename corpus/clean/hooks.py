"""Temporary hooks: every handle is removed when its context ends, also on errors."""

from contextlib import contextmanager

import torch


@contextmanager
def residual_recorder(model, layers):
    """Yields {layer: [cpu fp32 chunks of the last-token residual]} while the hooks are active."""
    store = {layer: [] for layer in layers}

    def make_hook(layer):
        def hook(module, inputs, output):
            store[layer].append(output[0][:, -1].detach().to("cpu", torch.float32))

        return hook

    handles = [model.model.layers[layer].register_forward_hook(make_hook(layer)) for layer in layers]
    try:
        yield store
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def steering(model, layer, vector):
    """Adds `vector` to the residual stream after `layer` while the context is active."""

    def hook(module, inputs, output):
        return (output[0] + vector,) + tuple(output[1:])

    handle = model.model.layers[layer].register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()
