"""Entry point: python -m steering_sweep.run_sweep --pairs data/sycophancy_pairs.jsonl"""
import argparse
import logging
import os

import torch

from . import model_utils
from .config import SweepConfig
from .evaluate import behavior_rate, completion_logprob
from .io_utils import read_jsonl, save_json, save_tensor
from .steering import add_steering, generate, orthogonalize_, steering
from .vectors import build_contrast_prompts, compute_steering_vector

TEMPLATE = "[INST] {question} [/INST] ({answer}"

logging.basicConfig(level=logging.INFO)
logger = logging.getLogger(__name__)


def steering_sweep(cfg, model, tok, vec, eval_prompts, targets):
    results = []
    for alpha in cfg.alphas:
        with steering(model, cfg.layer, vec, alpha):
            gens = generate(model, tok, eval_prompts, cfg.max_new_tokens, cfg.device)
            lp = completion_logprob(model, tok, eval_prompts, targets, cfg.device)
        results.append(
            {
                "alpha": alpha,
                "behavior_rate": behavior_rate(gens),
                "target_logprob": sum(lp) / len(lp),
                "samples": gens[:5],
            }
        )
        logger.info("alpha=%.1f rate=%.3f", alpha, results[-1]["behavior_rate"])
    return results


def ablation_sweep(cfg, tok, vec, eval_prompts):
    """Directional ablation at increasing strength: edit the weights, evaluate, start over."""
    results = []
    for alpha in cfg.alphas:
        if alpha <= 0:
            continue
        model = model_utils.load_model(cfg.model_name, cfg.device)  # expect: FS101  # allow: FS103
        orthogonalize_(model, vec, alpha / max(cfg.alphas))
        gens = generate(model, tok, eval_prompts, cfg.max_new_tokens, cfg.device)
        results.append({"alpha": alpha, "behavior_rate": behavior_rate(gens)})
        del model
        torch.cuda.empty_cache()
    return results


def interactive_demo(cfg, model, tok, vec):
    add_steering(model, cfg.layer, vec, alpha=4.0)
    while True:
        prompt = input("prompt> ").strip()
        if not prompt:
            break
        print(generate(model, tok, [f"[INST] {prompt} [/INST]"], 128, cfg.device)[0])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", default="data/sycophancy_pairs.jsonl")
    parser.add_argument("--eval-prompts", default="data/sycophancy_eval.jsonl")
    parser.add_argument("--layer", type=int, default=None)
    parser.add_argument("--skip-ablation", action="store_true")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()

    cfg = SweepConfig()
    if args.layer is not None:
        cfg.layer = args.layer
    torch.manual_seed(cfg.seed)

    tok = model_utils.load_tokenizer(cfg.model_name)
    model = model_utils.load_model(cfg.model_name, cfg.device, dtype=getattr(torch, cfg.dtype))

    pairs = read_jsonl(args.pairs)[: cfg.n_contrast_pairs]
    pos, neg = build_contrast_prompts(pairs, TEMPLATE)
    vec = compute_steering_vector(model, tok, pos, neg, cfg.layer, cfg.batch_size, cfg.device)
    save_tensor(vec, os.path.join(cfg.out_dir, f"vec_layer{cfg.layer}.pt"))

    eval_rows = read_jsonl(args.eval_prompts)
    prompts = [TEMPLATE.format(question=r["question"], answer="").rstrip("(") for r in eval_rows]
    targets = [f"({r['answer_matching_behavior']})" for r in eval_rows]

    if args.demo:
        interactive_demo(cfg, model, tok, vec)
        return

    results = steering_sweep(cfg, model, tok, vec, prompts, targets)
    save_json(results, os.path.join(cfg.out_dir, f"sweep_layer{cfg.layer}.json"))
    rates = torch.tensor([r["behavior_rate"] for r in results])
    save_tensor(rates, os.path.join(cfg.out_dir, f"rates_layer{cfg.layer}.pt"))

    del model
    torch.cuda.empty_cache()

    if not args.skip_ablation:
        ablation = ablation_sweep(cfg, tok, vec, prompts)
        save_json(ablation, os.path.join(cfg.out_dir, f"ablation_layer{cfg.layer}.json"))


if __name__ == "__main__":
    main()
