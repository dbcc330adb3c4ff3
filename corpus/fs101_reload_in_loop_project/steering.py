"""The sweeps. alpha_sweep reloads the base checkpoint to undo the previous alpha's edit."""

import torch

from . import config, models


def project_out(model, layer, direction, alpha):
    """Edits the weights in place: W <- W - alpha * d d^T W."""
    weight = model.model.layers[layer].mlp.down_proj.weight
    with torch.no_grad():
        weight.sub_(alpha * torch.outer(direction, direction @ weight))


# Cross-module positive: the checkpoint is config.BASE_CHECKPOINT through load_model()'s default
# argument, loop-invariant; project_out() edits the reloaded weights inside the same iteration.
def alpha_sweep(direction, prompts):
    tokenizer = models.load_tokenizer()
    rates = {}
    for alpha in config.ALPHAS:
        model = models.load_model()  # expect: FS101
        project_out(model, config.STEER_LAYER, direction, alpha)
        rates[alpha] = models.refusal_rate(model, tokenizer, prompts)
        del model
        torch.cuda.empty_cache()
    return rates


# Near miss: the same loader and the same edit, but the checkpoint is the loop variable.
def zoo_sweep(direction, prompts, alpha=4.0):
    rates = {}
    for name in config.MODEL_ZOO:
        tokenizer = models.load_tokenizer(name)
        model = models.load_model(name)
        project_out(model, config.STEER_LAYER, direction, alpha)
        rates[name] = models.refusal_rate(model, tokenizer, prompts)
        del model
        torch.cuda.empty_cache()
    return rates
