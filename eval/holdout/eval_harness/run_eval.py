"""python -m eval_harness.run_eval --model meta-llama/Meta-Llama-3-8B --tasks hellaswag gsm8k"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch
from transformers import AutoModelForCausalLM

from .config import EvalConfig
from .models import get_model, get_tokenizer
from .scoring import loglik
from .tasks import TASKS


def parse_args():
    defaults = EvalConfig()
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=defaults.model)
    ap.add_argument("--tasks", nargs="+", default=defaults.tasks)
    ap.add_argument("--limit", type=int, default=defaults.limit)
    ap.add_argument("--batch-size", type=int, default=defaults.batch_size)
    ap.add_argument("--reference", default="meta-llama/Llama-2-7b-hf",
                    help="also report per-example agreement with this model ('' to skip)")
    ap.add_argument("--output-dir", default=defaults.output_dir)
    args = ap.parse_args()
    return EvalConfig(model=args.model, tasks=args.tasks, limit=args.limit,
                      batch_size=args.batch_size, reference=args.reference or None,
                      output_dir=args.output_dir)


@torch.inference_mode()
def agreement(model, tokenizer, ref, ref_tokenizer, probes):
    same = 0
    for ctx, a, b in probes:
        m = loglik(model, tokenizer, ctx, a)[0] > loglik(model, tokenizer, ctx, b)[0]
        r = loglik(ref, ref_tokenizer, ctx, a)[0] > loglik(ref, ref_tokenizer, ctx, b)[0]
        same += m == r
    return same / len(probes)


def main():
    cfg = parse_args()
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    os.makedirs(cfg.output_dir, exist_ok=True)

    results = {}
    for task in cfg.tasks:
        model = get_model(cfg.model)
        tok = get_tokenizer(cfg.model)
        t0 = time.time()
        results[task] = TASKS[task](model, tok, cfg)
        results[task]["seconds"] = round(time.time() - t0, 1)
        print(task, results[task])

    if cfg.reference:
        ref = AutoModelForCausalLM.from_pretrained(cfg.reference, device_map="auto")  # expect: FS401, FS105
        ref.eval()
        with open("data/agreement_probes.json") as f:
            probes = json.load(f)
        results["agreement_with_reference"] = agreement(
            get_model(cfg.model), get_tokenizer(cfg.model), ref, get_tokenizer(cfg.reference), probes
        )

    name = cfg.model.replace("/", "__")
    with open(os.path.join(cfg.output_dir, f"{name}.json"), "w") as f:
        json.dump({"config": vars(cfg), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
