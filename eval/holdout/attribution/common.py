import json

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def load_model(name="gpt2-medium"):
    model = AutoModelForCausalLM.from_pretrained(name).to(DEVICE)  # allow: FS401
    model.eval()
    return model


def load_tokenizer(name="gpt2-medium"):
    tok = AutoTokenizer.from_pretrained(name)
    tok.pad_token = tok.eos_token
    return tok


def load_pairs(path):
    """Rows: {"clean": str, "corrupt": str, "correct": " Mary", "incorrect": " John"}"""
    with open(path) as f:
        rows = [json.loads(l) for l in f]
    return rows


def encode_pairs(tok, rows):
    clean = tok([r["clean"] for r in rows], return_tensors="pt", padding=True).to(DEVICE)
    corrupt = tok([r["corrupt"] for r in rows], return_tensors="pt", padding=True).to(DEVICE)
    answers = torch.tensor(
        [[tok.encode(r["correct"])[0], tok.encode(r["incorrect"])[0]] for r in rows], device=DEVICE
    )
    return clean, corrupt, answers


def logit_diff(logits, attention_mask, answers):
    last = attention_mask.sum(-1) - 1
    final = logits[torch.arange(logits.shape[0], device=logits.device), last]
    picked = final.gather(-1, answers)
    return (picked[:, 0] - picked[:, 1]).mean()
