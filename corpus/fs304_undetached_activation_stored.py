"""FS304 undetached-activation-stored: a graph-attached tensor is stored somewhere that outlives
the call (a list, dict, attribute or global), keeping its whole autograd graph alive.

Models are parameters (no loads: FS401/FS103/FS105 cannot apply) and every hook handle is
removed (FS301). A stored tensor is graph-attached when the forward pass that produced it ran
with grad enabled: in training (it reaches backward(), so FS201 is quiet) or in an evaluation
without no_grad (then FS201 also fires, on the forward call). `.cpu()` does not detach.
"""

from collections import defaultdict
from functools import partial

import torch
import torch.nn.functional as F

MLP_OUTPUTS = []


def record_mlp(module, inputs, output):
    MLP_OUTPUTS.append(output)  # expect: FS304


# --- true positives --------------------------------------------------------------------------

# Direct, in a hook: record_mlp() appends the raw MLP output to a module-level list. This loop
# trains, so every stored output drags its step's graph along. (The same hook under no_grad in
# mlp_norms_eval() below is fine: one context is enough for the finding.)
def finetune_logging_mlp(model, loader, optimizer, layer):
    handle = model.model.layers[layer].mlp.register_forward_hook(record_mlp)
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    handle.remove()
    return len(MLP_OUTPUTS)


def mlp_norms_eval(model, input_ids, layer):
    handle = model.model.layers[layer].mlp.register_forward_hook(record_mlp)
    with torch.no_grad():
        model(input_ids)
    handle.remove()
    return [output.norm().item() for output in MLP_OUTPUTS]


# Direct, `.cpu()` alone: the copy on the CPU is still attached to the graph that produced it.
# The forward pass has grad enabled and only collects, so FS201 fires on it too.
def collect_residuals(model, input_ids, layers):
    cache = {}

    def make_hook(layer):
        def hook(module, inputs, output):
            cache[layer] = output[0].cpu()  # expect: FS304

        return hook

    handles = [model.model.layers[layer].register_forward_hook(make_hook(layer)) for layer in layers]
    model(input_ids)  # expect: FS201
    for handle in handles:
        handle.remove()
    return cache


# Direct, no hook: hidden states from a training forward pass kept in a list that is returned.
def train_and_track_cls(model, loader, optimizer):
    cls_history = []
    for batch in loader:
        outputs = model(**batch, output_hidden_states=True)
        outputs.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        cls_history.append(outputs.hidden_states[-1][:, 0])  # expect: FS304
    return cls_history


LAST_BATCH_LOGITS = None


# Direct, a global kept "for debugging".
def training_step(model, batch, optimizer):
    global LAST_BATCH_LOGITS
    outputs = model(**batch, labels=batch["input_ids"])
    outputs.loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    LAST_BATCH_LOGITS = outputs.logits  # expect: FS304
    return outputs.loss.item()


class AttentionRecorder:
    """Keeps the attention output of one layer in an attribute list."""

    def __init__(self, model, layer):
        self.records = []
        self.handle = model.model.layers[layer].self_attn.register_forward_hook(self.hook)

    def hook(self, module, inputs, output):
        self.records.append(output[0][:, -1])  # expect: FS304

    def close(self):
        self.handle.remove()


# Direct, an attribute: the recorder's hook runs inside the training forward pass.
def finetune_with_attention_log(model, loader, optimizer, layer):
    recorder = AttentionRecorder(model, layer)
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    recorder.close()
    return recorder.records


def remember(store, key, value):
    store[key] = value  # expect: FS304


# Two calls, mixed callers: this caller hands remember() a tensor computed under no_grad ...
def cache_embeddings(model, batch, store):
    with torch.no_grad():
        remember(store, "embeddings", model.get_input_embeddings()(batch["input_ids"]))


# ... and this one hands it logits from a training step, graph attached.
def cache_logits_during_training(model, batch, optimizer, store):
    outputs = model(**batch, labels=batch["input_ids"])
    outputs.loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    remember(store, "logits", outputs.logits[:, -1])


ACTIVATION_BUFFER = defaultdict(list)


def buffer_append(name, tensor):
    ACTIVATION_BUFFER[name].append(tensor)  # expect: FS304


def log_activation(name, tensor):
    buffer_append(name, tensor.float())


def make_logging_hook(name):
    def hook(module, inputs, output):
        log_activation(name, output[0])

    return hook


# Three calls: the hook's output goes hook() -> log_activation() -> buffer_append(), where it is
# stored in a module-level buffer; the forward pass that fires the hook is a training step.
def finetune_with_buffer(model, loader, optimizer, layers):
    handles = [model.model.layers[layer].register_forward_hook(make_logging_hook(f"layer{layer}")) for layer in layers]
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    for handle in handles:
        handle.remove()
    return {name: len(values) for name, values in ACTIVATION_BUFFER.items()}


# --- near-miss negatives -----------------------------------------------------------------------

# .detach() in the hook, during training.
def finetune_logging_detached(model, loader, optimizer, layer):
    stored = []

    def hook(module, inputs, output):
        stored.append(output.detach())

    handle = model.model.layers[layer].mlp.register_forward_hook(hook)
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    handle.remove()
    return stored


# .detach().cpu() in the hook.
def collect_residuals_detached(model, input_ids, layers):
    cache = {}

    def make_hook(layer):
        def hook(module, inputs, output):
            cache[layer] = output[0].detach().cpu()

        return hook

    handles = [model.model.layers[layer].register_forward_hook(make_hook(layer)) for layer in layers]
    with torch.no_grad():
        model(input_ids)
    for handle in handles:
        handle.remove()
    return cache


# The raw output is stored, but the only forward pass that fires this hook runs under
# inference_mode, so there is no graph to keep.
@torch.inference_mode()
def collect_raw_under_inference_mode(model, input_ids, layer):
    outputs = []
    handle = model.model.layers[layer].register_forward_hook(lambda module, inputs, output: outputs.append(output[0]))
    model(input_ids)
    handle.remove()
    return outputs


# Plain numbers cut the graph.
def finetune_tracking_norms(model, loader, optimizer):
    norms, losses = [], []
    for batch in loader:
        outputs = model(**batch, output_hidden_states=True)
        outputs.loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        norms.append(outputs.hidden_states[-1].norm(dim=-1).mean().item())
        losses.append(outputs.loss.detach().cpu().tolist())
    return norms, losses


# Losses kept in a local list on purpose: they are summed and backpropagated together.
def multi_task_step(model, batches, optimizer, weights):
    task_losses = []
    for batch, weight in zip(batches, weights):
        logits = model(**batch).logits
        task_losses.append(weight * F.cross_entropy(logits[:, -1], batch["labels"]))
    total = torch.stack(task_losses).sum()
    total.backward()
    optimizer.step()
    optimizer.zero_grad()
    return total.item()


# TransformerLens cache computed under no_grad and kept in a dict.
def tl_residual_cache(model, tokens, store):
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda name: name.endswith("hook_resid_post"))
    for name in cache.keys():
        store[name] = cache[name][:, -1].cpu()
    return store


# --- hook factories, tuple-returning helpers ---------------------------------------------------

LAST_TOKEN_STATES = defaultdict(list)


def make_last_token_hook(index):
    def hook(module, inputs, output):
        LAST_TOKEN_STATES[index].append(output[0][:, -1, :])  # expect: FS304

    return hook


# A module-level hook factory, registered on every decoder layer while the model trains.
def finetune_recording_last_tokens(model, loader, optimizer):
    handles = []
    for index, layer in enumerate(model.model.layers):
        handles.append(layer.register_forward_hook(make_last_token_hook(index)))
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    for handle in handles:
        handle.remove()


EVAL_LAST_TOKEN_STATES = defaultdict(list)


def make_eval_last_token_hook(index):
    def hook(module, inputs, output):
        EVAL_LAST_TOKEN_STATES[index].append(output[0][:, -1, :])

    return hook


# Near miss: the same factory shape, but every forward pass runs under no_grad.
def record_last_tokens_eval(model, loader):
    handles = []
    for index, layer in enumerate(model.model.layers):
        handles.append(layer.register_forward_hook(make_eval_last_token_hook(index)))
    with torch.no_grad():
        for batch in loader:
            model(**batch)
    for handle in handles:
        handle.remove()
    return EVAL_LAST_TOKEN_STATES


class InputCatcher:
    """Catches the inputs of named submodules; the hook comes from a factory method."""

    def __init__(self, model):
        self.model = model
        self.inputs = {}
        self.handles = []

    def _make_hook(self, name):
        def hook(module, inputs, output):
            self.inputs[name] = inputs[0]  # expect: FS304

        return hook

    def attach(self, names):
        for name, module in self.model.named_modules():
            if name in names:
                self.handles.append(module.register_forward_hook(self._make_hook(name)))

    def close(self):
        for handle in self.handles:
            handle.remove()


# Two calls: attach() registers the hooks; this caller's training step fires them.
def finetune_catching_inputs(model, loader, optimizer, names):
    catcher = InputCatcher(model)
    catcher.attach(names)
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    catcher.close()
    return catcher.inputs


class EvalInputCatcher:
    def __init__(self, model):
        self.model = model
        self.inputs = {}
        self.handles = []

    def _make_hook(self, name):
        def hook(module, inputs, output):
            self.inputs[name] = inputs[0]

        return hook

    def attach(self, names):
        for name, module in self.model.named_modules():
            if name in names:
                self.handles.append(module.register_forward_hook(self._make_hook(name)))

    def close(self):
        for handle in self.handles:
            handle.remove()


# Near miss of finetune_catching_inputs(): the hooked model only runs under no_grad.
def catch_inputs_eval(model, loader, names):
    catcher = EvalInputCatcher(model)
    catcher.attach(names)
    with torch.no_grad():
        for batch in loader:
            model(**batch)
    catcher.close()
    return catcher.inputs


def choice_scores(model, batch):
    outputs = model(**batch)
    return outputs.logits[:, -1, 0], outputs.logits[:, -1, 1]


class PreferenceTrainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
        self.margins = []

    # Two calls: the forward pass runs in choice_scores(), which returns two logit columns; the
    # margin computed from them is kept in an attribute list after the step.
    def train_step(self, batch):
        chosen, rejected = choice_scores(self.model, batch)
        margin = chosen - rejected
        loss = -F.logsigmoid(margin).mean()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.margins.append(margin.mean())  # expect: FS304
        return loss.item()

    # Near miss: the same margin, stored as a number.
    def train_step_logged(self, batch):
        chosen, rejected = choice_scores(self.model, batch)
        margin = chosen - rejected
        loss = -F.logsigmoid(margin).mean()
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.margins.append(margin.mean().item())
        return loss.item()


NAMED_OUTPUTS = {}


def save_named_output(name, module, inputs, output):
    NAMED_OUTPUTS[name] = output  # expect: FS304


# functools.partial binds the module name; the hooked modules run in a training loop.
def finetune_saving_named_outputs(model, loader, optimizer, wanted):
    handles = [
        module.register_forward_hook(partial(save_named_output, name))
        for name, module in model.named_modules()
        if name in wanted
    ]
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    for handle in handles:
        handle.remove()


EVAL_NAMED_OUTPUTS = {}


def save_eval_named_output(name, module, inputs, output):
    EVAL_NAMED_OUTPUTS[name] = output


# Near miss of finetune_saving_named_outputs(): the same partial hook, only run under no_grad.
def save_named_outputs_eval(model, loader, wanted):
    handles = [
        module.register_forward_hook(partial(save_eval_named_output, name))
        for name, module in model.named_modules()
        if name in wanted
    ]
    with torch.no_grad():
        for batch in loader:
            model(**batch)
    for handle in handles:
        handle.remove()
    return EVAL_NAMED_OUTPUTS


class ResidualProbe:
    """Installs pre-hooks in its constructor; only run() executes the model, under no_grad."""

    def __init__(self, model):
        self.model = model
        self.residuals = {}
        self.handles = [
            layer.register_forward_pre_hook(self._make_pre_hook(index))
            for index, layer in enumerate(model.model.layers)
        ]

    def _make_pre_hook(self, index):
        def pre_hook(module, args):
            self.residuals[index] = args[0][:, -1]

        return pre_hook

    @torch.no_grad()
    def run(self, batch):
        self.model(**batch)
        return {index: residual.cpu() for index, residual in self.residuals.items()}

    def close(self):
        for handle in self.handles:
            handle.remove()


class TrainingResidualProbe:
    """The same probe, but its step() trains the model it hooks."""

    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
        self.residuals = {}
        self.handles = [
            layer.register_forward_pre_hook(self._make_pre_hook(index))
            for index, layer in enumerate(model.model.layers)
        ]

    def _make_pre_hook(self, index):
        def pre_hook(module, args):
            self.residuals[index] = args[0][:, -1]  # expect: FS304

        return pre_hook

    def step(self, batch):
        loss = self.model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return loss.item()

    def close(self):
        for handle in self.handles:
            handle.remove()


# Near miss: a fresh dict of one step's tensors handed back to the caller, which backpropagates
# and drops it. Only a store repeated into a container that lives on keeps graphs.
def forward_with_extras(model, batch):
    outputs = model(**batch, output_hidden_states=True)
    extras = {}
    extras["loss"] = outputs.loss
    extras["last_hidden"] = outputs.hidden_states[-1]
    return extras


def train_with_extras(model, loader, optimizer):
    for batch in loader:
        extras = forward_with_extras(model, batch)
        (extras["loss"] + 1e-3 * extras["last_hidden"].pow(2).mean()).backward()
        optimizer.step()
        optimizer.zero_grad()
