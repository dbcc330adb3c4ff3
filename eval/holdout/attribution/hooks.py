"""Caches of the per-head attention outputs (input of attn.c_proj) and their gradients."""


class HeadCache:
    def __init__(self, model):
        self.model = model
        self.acts = {}
        self.grads = {}
        self.handles = []

    def _fwd(self, layer):
        def hook(module, inputs, output):
            self.acts[layer] = inputs[0]  # expect: FS304
        return hook

    def _bwd(self, layer):
        def hook(module, grad_input, grad_output):
            self.grads[layer] = grad_input[0].detach()
        return hook

    def attach(self, with_grads=False):
        for i, block in enumerate(self.model.transformer.h):
            self.handles.append(block.attn.c_proj.register_forward_hook(self._fwd(i)))
            if with_grads:
                self.handles.append(block.attn.c_proj.register_full_backward_hook(self._bwd(i)))
        return self

    def detach_hooks(self):
        for h in self.handles:
            h.remove()
        self.handles.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach_hooks()
        return False
