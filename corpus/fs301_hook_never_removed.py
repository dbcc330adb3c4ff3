"""FS301 hook-never-removed: a register_*hook handle is dropped or never removed.

Every hook here stores detached tensors and every forward pass runs under no_grad (FS304, FS201);
models are parameters of the functions (no loads, so FS401/FS103/FS105 cannot apply). The finding
is the register_*hook call whose handle is dropped on some normal path, or kept only where
nothing ever calls remove(). Exceptions are not paths for this rule.
"""

from contextlib import contextmanager

import torch
import torch.nn as nn

ACTIVATIONS = {}


def save_output(name):
    def hook(module, inputs, output):
        hidden = output[0] if isinstance(output, tuple) else output
        ACTIVATIONS[name] = hidden.detach().cpu()

    return hook


def add_vector(vector):
    def hook(module, inputs, output):
        return (output[0] + vector,) + tuple(output[1:])

    return hook


# --- true positives --------------------------------------------------------------------------

# Direct: the catalog's case. The handle is never even stored, and each call of this function
# stacks another hook on every probed layer.
def probe_layers(model, input_ids, layers):
    for layer in layers:
        model.model.layers[layer].register_forward_hook(save_output(f"layer{layer}"))  # expect: FS301
    with torch.no_grad():
        model(input_ids)
    return {name: value for name, value in ACTIVATIONS.items()}


# Direct: the handle is stored in a local and the function returns without removing it.
def steered_logits(model, input_ids, vector, layer):
    handle = model.model.layers[layer].register_forward_hook(add_vector(vector))  # expect: FS301
    with torch.no_grad():
        logits = model(input_ids).logits
    return logits[:, -1].cpu()


# Direct: the handles are collected in a list that nothing ever iterates to remove.
def probe_all_layers(model, input_ids):
    handles = []
    for index, block in enumerate(model.model.layers):
        handles.append(block.register_forward_hook(save_output(f"block{index}")))  # expect: FS301
    with torch.no_grad():
        model(input_ids)
    print(f"registered {len(handles)} hooks")
    return dict(ACTIVATIONS)


# Dropped on one path: the early return for an empty batch skips the removal.
def steer_batch(model, input_ids, vector, layer):
    handle = model.model.layers[layer].register_forward_pre_hook(lambda module, args: (args[0] + vector,) + args[1:])  # expect: FS301
    if input_ids.shape[0] == 0:
        return []
    with torch.no_grad():
        logits = model(input_ids).logits
    handle.remove()
    return logits[:, -1].argmax(-1).tolist()


# Direct, backward hook for gradient attribution: the handle is dropped.
def mlp_gradient_norms(model, input_ids, layer, target_id):
    norms = []
    model.model.layers[layer].mlp.register_full_backward_hook(lambda module, grad_input, grad_output: norms.append(grad_output[0].detach().norm().item()))  # expect: FS301
    logits = model(input_ids).logits
    logits[0, -1, target_id].backward()
    return norms


def attach(model, layer, hook_fn):
    return model.model.layers[layer].register_forward_hook(hook_fn)  # expect: FS301


# Two calls, mixed callers: this caller removes the handle attach() returns ...
def steered_generation(model, input_ids, vector, layer):
    handle = attach(model, layer, add_vector(vector))
    with torch.no_grad():
        tokens = model.generate(input_ids, max_new_tokens=32)
    handle.remove()
    return tokens.cpu()


# ... and this caller drops it, which is why the register call in attach() is reported.
def record_layer(model, input_ids, layer):
    attach(model, layer, save_output(f"layer{layer}"))
    with torch.no_grad():
        model(input_ids)
    return ACTIVATIONS[f"layer{layer}"]


def attach_one(block, name):
    return block.register_forward_hook(save_output(name))  # expect: FS301


def attach_all(model, layers):
    return [attach_one(model.model.layers[layer], f"resid{layer}") for layer in layers]


def install_probes(model, layers):
    handles = attach_all(model, layers)
    print(f"probing {len(handles)} layers")
    return handles


# Three calls: the handles come back through install_probes() -> attach_all() -> attach_one() and
# this entry point keeps them in a local it never removes.
def probe_run(model, input_ids, layers):
    handles = install_probes(model, layers)
    with torch.no_grad():
        model(input_ids)
    return {key: value for key, value in ACTIVATIONS.items() if key.startswith("resid")}, len(handles)


class ActivationRecorder:
    """Stores its handles in an attribute, but no method ever removes them."""

    def __init__(self, model, layers):
        self.model = model
        self.handles = []
        self.store = {}
        for layer in layers:
            self.handles.append(model.model.layers[layer].register_forward_hook(self._make_hook(layer)))  # expect: FS301

    def _make_hook(self, layer):
        def hook(module, inputs, output):
            self.store[layer] = output[0].detach().cpu()

        return hook

    def run(self, input_ids):
        with torch.no_grad():
            self.model(input_ids)
        return self.store


def record_with_recorder(model, input_ids):
    return ActivationRecorder(model, [4, 8]).run(input_ids)


# --- near-miss negatives -----------------------------------------------------------------------

# Removed directly after use.
def steered_logits_removed(model, input_ids, vector, layer):
    handle = model.model.layers[layer].register_forward_hook(add_vector(vector))
    with torch.no_grad():
        logits = model(input_ids).logits
    handle.remove()
    return logits[:, -1].cpu()


# Removed through a loop over the stored handles (the catalog's fix).
def probe_layers_removed(model, input_ids, layers):
    handles = []
    for layer in layers:
        handles.append(model.model.layers[layer].register_forward_hook(save_output(f"layer{layer}")))
    with torch.no_grad():
        model(input_ids)
    for handle in handles:
        handle.remove()
    return dict(ACTIVATIONS)


# try/finally also covers the early return.
def steer_batch_finally(model, input_ids, vector, layer):
    handle = model.model.layers[layer].register_forward_pre_hook(lambda module, args: (args[0] + vector,) + args[1:])
    try:
        if input_ids.shape[0] == 0:
            return []
        with torch.no_grad():
            return model(input_ids).logits[:, -1].argmax(-1).tolist()
    finally:
        handle.remove()


# The catalog's better fix: a context manager that removes in finally.
@contextmanager
def temporary_hooks(model, layers, make_hook):
    handles = [model.model.layers[layer].register_forward_hook(make_hook(layer)) for layer in layers]
    try:
        yield handles
    finally:
        for handle in handles:
            handle.remove()


def probe_with_context(model, input_ids, layers):
    with temporary_hooks(model, layers, lambda layer: save_output(f"ctx{layer}")):
        with torch.no_grad():
            model(input_ids)
    return {key: value for key, value in ACTIVATIONS.items() if key.startswith("ctx")}


def make_steering_handle(model, layer, vector):
    return model.model.layers[layer].register_forward_hook(add_vector(vector))


# The handle returned by a helper is removed by its only caller.
def steered_generation_helper(model, input_ids, vector, layer):
    handle = make_steering_handle(model, layer, vector)
    with torch.no_grad():
        tokens = model.generate(input_ids, max_new_tokens=16)
    handle.remove()
    return tokens.cpu()


class HookSet:
    """A context manager that owns its handles and removes them on exit."""

    def __init__(self, modules, hook_fn):
        self.modules = modules
        self.hook_fn = hook_fn
        self.handles = []

    def __enter__(self):
        self.handles = [module.register_forward_hook(self.hook_fn) for module in self.modules]
        return self

    def __exit__(self, *exc_info):
        for handle in self.handles:
            handle.remove()
        self.handles = []


def probe_with_hookset(model, input_ids):
    with HookSet([model.model.layers[2], model.model.layers[6]], save_output("hookset")):
        with torch.no_grad():
            model(input_ids)
    return ACTIVATIONS["hookset"]


# TransformerLens run_with_hooks removes its hooks itself.
def tl_patch_head(model, tokens, layer, head):
    def zero_head(z, hook):
        z[:, :, head] = 0.0
        return z

    with torch.no_grad():
        return model.run_with_hooks(tokens, return_type="loss", fwd_hooks=[(f"blocks.{layer}.attn.hook_z", zero_head)]).item()


# register_buffer and register_parameter are not hooks.
class SteeringAdapter(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.register_buffer("direction", torch.zeros(d_model))
        self.register_parameter("scale", nn.Parameter(torch.ones(1)))

    def forward(self, hidden):
        return hidden + self.scale * self.direction


# --- judgment calls ----------------------------------------------------------------------------

# A gradient hook on an intermediate tensor lives and dies with that tensor; its handle is
# usually dropped on purpose. A finding is neither required nor wrong.
def attention_gradients(model, input_ids, target_id):
    grads = []
    outputs = model(input_ids, output_attentions=True)
    outputs.attentions[-1].register_hook(lambda grad: grads.append(grad.detach().cpu()))  # allow: FS301
    outputs.logits[0, -1, target_id].backward()
    return grads
