"""Residual-stream collection with forward hooks."""

from . import config


class ResidualRecorder:
    """Records the last-token residual stream of selected decoder layers."""

    def __init__(self, model, layers):
        self.model = model
        self.layers = layers
        self.store = {layer: [] for layer in layers}

    def _hook(self, layer):
        def hook(module, inputs, output):
            # The forward pass in collect_activations() runs with grad enabled, and .cpu() does
            # not detach: every stored chunk keeps its batch's graph alive.
            self.store[layer].append(output[0][:, -1].cpu())  # expect: FS304

        return hook

    def attach(self):
        for layer in self.layers:
            # The handle is dropped: the hooks stay on the model after collection ends.
            self.model.model.layers[layer].register_forward_hook(self._hook(layer))  # expect: FS301


def batched(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def collect_activations(model, tokenizer, texts, layers):
    recorder = ResidualRecorder(model, layers)
    recorder.attach()
    for batch in batched(texts, config.BATCH_SIZE):
        encoded = tokenizer(batch, return_tensors="pt", padding=True).to(config.DEVICE)
        # Collection only, the output is discarded, and no caller disables grad.
        model(**encoded)  # expect: FS201
    return recorder.store
