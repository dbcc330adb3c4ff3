import math

import torch


@torch.no_grad()
def perplexity(model, tok, texts, device="cuda", max_length=512, batch_size=8):
    nll, n_tokens = 0.0, 0
    for i in range(0, len(texts), batch_size):
        enc = tok(texts[i : i + batch_size], return_tensors="pt", padding=True,
                  truncation=True, max_length=max_length).to(device)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        out = model(**enc, labels=labels)
        n = int((labels[:, 1:] != -100).sum())
        nll += out.loss.item() * n
        n_tokens += n
    return math.exp(nll / n_tokens)
