"""python collect_acts.py  -> writes cfg.n_shards activation shards to cfg.shard_dir"""
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from act_buffer import ActivationBuffer
from sae_config import SAEConfig


def main():
    cfg = SAEConfig()
    os.makedirs(cfg.shard_dir, exist_ok=True)
    cfg.save(os.path.join(cfg.shard_dir, "config.json"))

    tok = AutoTokenizer.from_pretrained(cfg.model_name)
    model = AutoModelForCausalLM.from_pretrained(
        cfg.model_name, torch_dtype=getattr(torch, cfg.model_dtype)
    ).to(cfg.device)
    model.eval()

    buffer = ActivationBuffer(model, tok, cfg)
    norms = []
    for i in range(cfg.n_shards):
        shard = buffer.next_shard()
        norms.append(shard.float().norm(dim=-1).mean().item())
        torch.save(shard, os.path.join(cfg.shard_dir, f"shard_{i:04d}.pt"))  # expect: FS305
        print(f"shard {i}: {shard.shape[0]} tokens, mean norm {norms[-1]:.1f}")
    buffer.close()

    # Scale factor so that E[||x||] = sqrt(d_model); train_sae.py applies it.
    scale = (cfg.d_model ** 0.5) / (sum(norms) / len(norms))
    torch.save(torch.tensor(scale), os.path.join(cfg.shard_dir, "scale.pt"))


if __name__ == "__main__":
    main()
