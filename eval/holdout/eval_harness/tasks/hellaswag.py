import re

import torch
from datasets import load_dataset

from ..scoring import loglik, pick


def _preprocess(text):
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


@torch.inference_mode()
def evaluate(model, tokenizer, cfg):
    ds = load_dataset("Rowan/hellaswag", split="validation")
    if cfg.limit:
        ds = ds.select(range(cfg.limit))
    correct = correct_norm = 0
    for doc in ds:
        ctx = _preprocess(doc["activity_label"] + ": " + doc["ctx_a"] + " " + doc["ctx_b"].capitalize())
        endings = [" " + _preprocess(e) for e in doc["endings"]]
        scores = [loglik(model, tokenizer, ctx, e)[0] for e in endings]
        norm = [s / len(e) for s, e in zip(scores, endings)]
        gold = int(doc["label"])
        correct += pick(scores) == gold
        correct_norm += pick(norm) == gold
    return {"acc": correct / len(ds), "acc_norm": correct_norm / len(ds)}
