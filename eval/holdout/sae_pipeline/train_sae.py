"""python train_sae.py  (after collect_acts.py)"""
import copy
import glob
import os

import torch

from sae_config import SAEConfig
from sparse_autoencoder import SparseAutoencoder


def iter_batches(shard_paths, batch_size, scale, device):
    for path in shard_paths:
        shard = torch.load(path, map_location=device).float() * scale
        for i in range(0, shard.shape[0] - batch_size + 1, batch_size):
            yield shard[i : i + batch_size]


def evaluate_sae(sae, batches):
    sae.eval()
    fvu, l0 = [], []
    for x in batches:
        x_hat, f = sae(x)  # expect: FS201
        fvu.append(((x - x_hat).pow(2).sum() / (x - x.mean(0)).pow(2).sum()).item())
        l0.append((f > 0).float().sum(-1).mean().item())
    sae.train()
    return sum(fvu) / len(fvu), sum(l0) / len(l0)


def train(cfg):
    shards = sorted(glob.glob(os.path.join(cfg.shard_dir, "shard_*.pt")))
    train_shards, val_shards = shards[:-1], shards[-1:]
    scale = torch.load(os.path.join(cfg.shard_dir, "scale.pt")).item()
    val_batches = list(iter_batches(val_shards, cfg.batch_size, scale, cfg.device))[:20]

    sae = SparseAutoencoder(cfg.d_model, cfg.d_sae).to(cfg.device)
    opt = torch.optim.Adam(sae.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    fired = torch.zeros(cfg.d_sae, device=cfg.device)
    best_fvu, best_sae = float("inf"), None
    step = 0
    metrics = {"mse": 0.0, "l1": 0.0}
    for epoch in range(cfg.epochs):
        for x in iter_batches(train_shards, cfg.batch_size, scale, cfg.device):
            x_hat, f = sae(x)
            mse = (x_hat - x).pow(2).sum(-1).mean()
            l1 = f.abs().sum(-1).mean()
            loss = mse + cfg.l1_coeff * l1
            opt.zero_grad()
            loss.backward()
            opt.step()
            sae.normalize_decoder_()

            fired += (f > 0).sum(0)
            metrics["mse"] += mse.item()
            metrics["l1"] += l1  # expect: FS402
            step += 1

            if step % 500 == 0:
                dead = (fired == 0).float().mean().item()
                print(f"step {step} mse {metrics['mse'] / 500:.4f} "
                      f"l1 {float(metrics['l1']) / 500:.3f} dead {dead:.2%}")
                metrics = {"mse": 0.0, "l1": 0.0}
                fired.zero_()
            if step % 5000 == 0:
                fvu, l0 = evaluate_sae(sae, val_batches)
                print(f"  val fvu {fvu:.4f} l0 {l0:.1f}")
                if fvu < best_fvu:
                    best_fvu, best_sae = fvu, copy.deepcopy(sae)  # expect: FS104
    return best_sae or sae


def main():
    cfg = SAEConfig()
    os.makedirs(cfg.out_dir, exist_ok=True)
    sae = train(cfg)
    torch.save(sae.state_dict(), os.path.join(cfg.out_dir, "sae.pt"))
    # Decoder rows are the feature directions; the dashboard loads just these.
    torch.save(sae.W_dec.data, os.path.join(cfg.out_dir, "decoder_directions.pt"))  # expect: FS305
    cfg.save(os.path.join(cfg.out_dir, "config.json"))


if __name__ == "__main__":
    main()
