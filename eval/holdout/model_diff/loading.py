import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def load(name, device="cuda"):
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.float16)
    return model.to(device).eval()


def tokenizer_for(name):
    tok = AutoTokenizer.from_pretrained(name)
    tok.pad_token = tok.unk_token
    tok.padding_side = "right"
    return tok


def read_prompts(path, limit):
    with open(path) as f:
        prompts = [line.strip() for line in f if line.strip()]
    return prompts[:limit]
