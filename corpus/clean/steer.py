"""Steering with a temporary hook: the weights are never edited, so nothing needs reloading."""

import torch

from . import config, hooks


@torch.inference_mode()
def generate(model, tokenizer, prompts, max_new_tokens=48):
    encoded = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    generated = model.generate(**encoded, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer.batch_decode(generated[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)


def generate_steered(model, tokenizer, vector, prompts):
    with hooks.steering(model, config.STEER_LAYER, vector):
        return generate(model, tokenizer, prompts)


def steering_sweep(model, tokenizer, direction, prompts):
    unit = direction.to(device=model.device, dtype=model.dtype)
    return {alpha: generate_steered(model, tokenizer, alpha * unit, prompts) for alpha in config.ALPHAS}
