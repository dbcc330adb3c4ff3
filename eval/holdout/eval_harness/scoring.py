"""Log-likelihood of a continuation given a context (the multiple-choice primitive)."""
import torch
import torch.nn.functional as F

from .models import model_device


def loglik(model, tokenizer, context, continuation):
    """Returns (sum log p(continuation | context), is_greedy)."""
    ctx_ids = tokenizer(context, add_special_tokens=True)["input_ids"]
    cont_ids = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([ctx_ids + cont_ids], device=model_device(model))
    logits = model(ids).logits  # expect: FS201
    logprobs = F.log_softmax(logits[0, len(ctx_ids) - 1 : -1].float(), dim=-1)
    cont = torch.tensor(cont_ids, device=logprobs.device)
    token_lp = logprobs.gather(-1, cont[:, None]).squeeze(-1)
    greedy = bool((logprobs.argmax(-1) == cont).all())
    return token_lp.sum().item(), greedy


def pick(scores):
    return max(range(len(scores)), key=lambda i: scores[i])
