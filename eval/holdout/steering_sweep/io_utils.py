import json
import os

import torch


def _ensure_parent(path):
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)


def save_tensor(t, path):
    _ensure_parent(path)
    torch.save(t, path)  # expect: FS305


def save_json(obj, path):
    _ensure_parent(path)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
