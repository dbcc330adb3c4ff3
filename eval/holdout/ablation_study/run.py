"""python -m ablation_study.run --experiment layer|head|mlp"""
import argparse
import json
import time
from dataclasses import dataclass, field
from typing import List

from . import head_ablation, layer_ablation, mlp_ablation
from .common import load_model_and_tokenizer, perplexity, save_json, set_seed, snapshot


@dataclass
class AblationConfig:
    model: str = "mistralai/Mistral-7B-v0.1"
    layers: List[int] = field(default_factory=lambda: list(range(0, 32, 4)))
    top_k_neurons: int = 64
    batch_size: int = 8
    n_texts: int = 200
    seed: int = 0


def load_texts(path, n):
    with open(path) as f:
        return [json.loads(l)["text"] for l in f][:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--experiment", choices=["layer", "head", "mlp"], required=True)
    ap.add_argument("--texts", default="data/c4_val_200.jsonl")
    ap.add_argument("--out", default="results/ablations")
    args = ap.parse_args()

    cfg = AblationConfig()
    set_seed(cfg.seed)
    texts = load_texts(args.texts, cfg.n_texts)
    meta = {"config": snapshot(vars(cfg)), "started": time.time()}

    if args.experiment == "layer":
        results = layer_ablation.run(cfg, texts)
    else:
        model, tok = load_model_and_tokenizer(cfg.model)
        baseline = perplexity(model, tok, texts)
        meta["baseline_ppl"] = baseline
        if args.experiment == "head":
            results = head_ablation.run(cfg, model, tok, texts)
        else:
            results = mlp_ablation.run(cfg, model, tok, texts)

    save_json({"meta": meta, "results": {str(k): v for k, v in results.items()}},
              f"{args.out}/{args.experiment}.json")


if __name__ == "__main__":
    main()
