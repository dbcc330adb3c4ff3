import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def load_model_and_tokenizer(name, device="cuda", **kwargs):
    kwargs.setdefault("torch_dtype", torch.bfloat16)
    model = AutoModelForCausalLM.from_pretrained(name, **kwargs)
    model.to(device).eval()
    tok = AutoTokenizer.from_pretrained(name)
    tok.pad_token = tok.pad_token or tok.eos_token
    return model, tok
