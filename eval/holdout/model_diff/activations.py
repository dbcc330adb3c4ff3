"""Cosine similarity of base vs chat residual streams, layer by layer, plus output KL."""
import torch
import torch.nn.functional as F

from .kl import kl_per_prompt
from .loading import load, read_prompts, tokenizer_for


@torch.no_grad()
def layer_cosines(base, chat, tokenizer, prompts, batch_size, device):
    n_layers = base.config.num_hidden_layers
    sums = torch.zeros(n_layers + 1)
    count = 0
    for i in range(0, len(prompts), batch_size):
        enc = tokenizer(prompts[i : i + batch_size], return_tensors="pt", padding=True).to(device)
        hb = base(**enc, output_hidden_states=True).hidden_states
        hc = chat(**enc, output_hidden_states=True).hidden_states
        mask = enc["attention_mask"].bool()
        for l in range(n_layers + 1):
            cos = F.cosine_similarity(hb[l][mask].float(), hc[l][mask].float(), dim=-1)
            sums[l] += cos.sum().cpu()
        count += int(mask.sum())
    return (sums / count).tolist()


def compare(cfg):
    tok = tokenizer_for(cfg.base_model)
    prompts = read_prompts(cfg.prompts_path, cfg.max_prompts)
    base = load(cfg.base_model, cfg.device)  # expect: FS103
    chat = load(cfg.chat_model, cfg.device)  # expect: FS103, FS105
    cos = layer_cosines(base, chat, tok, prompts, cfg.batch_size, cfg.device)
    kls = kl_per_prompt(base, chat, tok, prompts[:64], cfg.device)
    return {"layer_cosine": cos, "kl_mean": sum(kls) / len(kls), "kl_per_prompt": kls}
