"""Loaders. load_model() reads its checkpoint from a default argument; load_judge() is cached."""

import functools

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from . import config


def load_model(name=config.MODEL_NAME):
    return AutoModelForCausalLM.from_pretrained(name, torch_dtype=torch.bfloat16, device_map="auto")


@functools.cache
def load_judge():
    return AutoModelForCausalLM.from_pretrained(config.JUDGE_NAME, torch_dtype=torch.bfloat16, device_map="auto")


def load_tokenizer(name=config.MODEL_NAME):
    tokenizer = AutoTokenizer.from_pretrained(name)
    tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
