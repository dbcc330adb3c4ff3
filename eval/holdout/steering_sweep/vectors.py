"""Steering vectors from contrastive prompt pairs (mean difference of last-token residuals)."""
import torch


def _last_token_resid(model, tokenizer, prompts, layer, batch_size, device):
    captured = []

    def hook(module, inputs, output):
        hidden = output[0] if isinstance(output, tuple) else output
        captured.append(hidden[:, -1, :].detach())

    handle = model.model.layers[layer].register_forward_hook(hook)
    try:
        for i in range(0, len(prompts), batch_size):
            batch = tokenizer(
                prompts[i : i + batch_size], return_tensors="pt", padding=True
            ).to(device)
            model(**batch)
    finally:
        handle.remove()
    return torch.cat(captured, dim=0)


@torch.no_grad()
def compute_steering_vector(
    model, tokenizer, pos_prompts, neg_prompts, layer, batch_size=16, device="cuda"
):
    pos = _last_token_resid(model, tokenizer, pos_prompts, layer, batch_size, device)
    neg = _last_token_resid(model, tokenizer, neg_prompts, layer, batch_size, device)
    vec = pos.float().mean(dim=0) - neg.float().mean(dim=0)
    return vec / vec.norm()


def build_contrast_prompts(pairs, template):
    """Each pair has a question and matching/non-matching answer letters."""
    pos, neg = [], []
    for p in pairs:
        pos.append(template.format(question=p["question"], answer=p["answer_matching_behavior"]))
        neg.append(template.format(question=p["question"], answer=p["answer_not_matching_behavior"]))
    return pos, neg
