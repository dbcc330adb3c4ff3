"""Loading helpers. The dtype default is bf16, so no caller loads in fp32."""

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from . import config


def load_model(name=config.BASE_CHECKPOINT, dtype=torch.bfloat16):
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=dtype, device_map="cuda")
    model.eval()
    return model


def load_tokenizer(name=config.BASE_CHECKPOINT):
    tokenizer = AutoTokenizer.from_pretrained(name)
    tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def refusal_rate(model, tokenizer, prompts):
    """Share of prompts the model refuses. generate() runs without autograd on its own."""
    encoded = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    generated = model.generate(**encoded, max_new_tokens=32, do_sample=False)
    texts = tokenizer.batch_decode(generated[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
    refused = sum(any(marker in text for marker in config.REFUSAL_MARKERS) for text in texts)
    return refused / len(texts)
