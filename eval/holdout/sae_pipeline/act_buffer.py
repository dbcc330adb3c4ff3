"""Streams text, runs the LM up to the target layer and returns shards of residual activations."""
import torch
from datasets import load_dataset


class StopForward(Exception):
    """Raised from the hook so the layers above the target are never computed."""


class ActivationBuffer:
    def __init__(self, model, tokenizer, cfg):
        self.model = model
        self.tok = tokenizer
        self.cfg = cfg
        self._captured = None
        block = model.model.layers[cfg.layer]
        self._handle = block.register_forward_hook(self._hook)
        ds = load_dataset(cfg.dataset, split="train", streaming=True)
        self._texts = iter(ds)

    def _hook(self, module, inputs, output):
        self._captured = output[0].detach()
        raise StopForward

    def _next_batch_tokens(self):
        texts = [next(self._texts)["text"] for _ in range(self.cfg.model_batch_size)]
        enc = self.tok(
            texts, return_tensors="pt", truncation=True, max_length=self.cfg.context_len,
            padding="max_length",
        )
        return enc.to(self.cfg.device)

    @torch.no_grad()
    def _run_batch(self):
        enc = self._next_batch_tokens()
        try:
            self.model(**enc)
        except StopForward:
            pass
        acts = self._captured[enc["attention_mask"].bool()]
        # drop BOS: its norm is ~100x the rest and dominates the reconstruction loss
        return acts[acts.norm(dim=-1) < 1e3]

    def next_shard(self):
        chunks, n = [], 0
        while n < self.cfg.tokens_per_shard:
            a = self._run_batch()
            chunks.append(a)
            n += a.shape[0]
        shard = torch.cat(chunks)[: self.cfg.tokens_per_shard]
        return shard[torch.randperm(shard.shape[0], device=shard.device)]

    def close(self):
        self._handle.remove()
