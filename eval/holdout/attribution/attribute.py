"""Attribution patching: a first-order Taylor estimate of every head's patching effect from one
forward+backward pass on the clean input and one forward pass on the corrupted input."""
import einops
import torch

from . import common
from .hooks import HeadCache


def head_attributions(model, clean, corrupt, answers):
    n_heads = model.config.n_head
    with torch.no_grad(), HeadCache(model).attach() as corrupt_cache:
        model(**corrupt)
    corrupt_acts = dict(corrupt_cache.acts)

    model.zero_grad(set_to_none=True)
    with HeadCache(model).attach(with_grads=True) as clean_cache:
        logits = model(**clean).logits
        metric = common.logit_diff(logits, clean["attention_mask"], answers)
        metric.backward()

    scores = []
    for layer in sorted(clean_cache.acts):
        delta = corrupt_acts[layer] - clean_cache.acts[layer].detach()
        per_head = einops.rearrange(
            delta * clean_cache.grads[layer], "b s (h d) -> b s h d", h=n_heads
        ).sum(dim=(1, 3)).mean(0)
        scores.append(per_head)
    return torch.stack(scores).cpu(), metric.item()


def embedding_saliency(model, tok, text):
    """Gradient x input on the token embeddings, for the per-token heat maps."""
    ids = tok(text, return_tensors="pt").input_ids.to(common.DEVICE)
    embeds = model.transformer.wte(ids).detach().requires_grad_(True)
    grads = []
    embeds.register_hook(lambda g: grads.append(g))  # allow: FS301
    out = model(inputs_embeds=embeds)
    out.logits[0, -1].max().backward()
    sal = (grads[0] * embeds).sum(-1)[0]
    return tok.convert_ids_to_tokens(ids[0]), sal.detach().cpu().tolist()


def run(args):
    model = common.load_model(args.model)
    tok = common.load_tokenizer(args.model)
    rows = common.load_pairs(args.pairs)
    clean, corrupt, answers = common.encode_pairs(tok, rows)
    scores, clean_ld = head_attributions(model, clean, corrupt, answers)
    saliency = [embedding_saliency(model, tok, r["clean"]) for r in rows[:5]]
    return {"scores": scores, "clean_logit_diff": clean_ld, "saliency": saliency}
