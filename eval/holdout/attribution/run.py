"""python -m attribution.run --pairs data/ioi_pairs.jsonl [--noise]"""
import argparse
import os

import torch

from . import attribute, baseline


def spearman(a, b):
    ra = a.flatten().argsort().argsort().float()
    rb = b.flatten().argsort().argsort().float()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return (ra @ rb / (ra.norm() * rb.norm())).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="gpt2-medium")
    ap.add_argument("--pairs", default="data/ioi_pairs.jsonl")
    ap.add_argument("--noise", action="store_true")
    ap.add_argument("--out", default="results/attribution")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    attr = attribute.run(args)
    truth = baseline.run(args)
    print("spearman(attribution, patching) =", spearman(attr["scores"], truth["effects"]))
    torch.save({"attribution": attr["scores"], "patching": truth["effects"]},
               os.path.join(args.out, "head_scores.pt"))
    if truth["noisy_effects"] is not None:
        torch.save(truth["noisy_effects"], os.path.join(args.out, "noisy_effects.pt"))


if __name__ == "__main__":
    main()
