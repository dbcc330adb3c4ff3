"""Loading, once per process: both loaders are cached, so every caller shares one object."""

import functools

from transformers import AutoModelForCausalLM, AutoTokenizer

from . import config


@functools.cache
def load_model(name=config.MODEL_NAME):
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=config.DTYPE, device_map=config.DEVICE)
    model.eval()
    model.requires_grad_(False)
    return model


@functools.cache
def load_tokenizer(name=config.MODEL_NAME):
    tokenizer = AutoTokenizer.from_pretrained(name)
    tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer
