import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

DEFAULT_MODEL = "EleutherAI/pythia-2.8b"


def get_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(name=DEFAULT_MODEL, device=None):
    device = device or get_device()
    model = AutoModelForCausalLM.from_pretrained(name)  # expect: FS401
    model.to(device)
    model.eval()
    return model


def load_tokenizer(name=DEFAULT_MODEL):
    tok = AutoTokenizer.from_pretrained(name)
    tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return tok


def num_layers(model):
    return model.config.num_hidden_layers
