"""Layer-wise truth probing.

    python -m probe_layers.main --data data/facts.csv --layers 0 4 8 12 16 20 24 28
    python -m probe_layers.main --mode control --reinit-layers 2 6 10 --probe-layer 20
"""
import argparse
import json
import os

import torch

from .activations import cached_hidden_states
from .controls import reinit_control
from .data import load_statements, train_test_split
from .models import DEFAULT_MODEL, get_device, load_model, load_tokenizer, num_layers
from .probes import evaluate_probe, standardize, train_probe


def run_probing(args):
    device = get_device()
    tok = load_tokenizer(args.model)
    model = load_model(args.model, device)
    layers = args.layers or list(range(num_layers(model)))
    statements = load_statements(args.data, args.topic)
    train_set, test_set = train_test_split(statements, seed=args.seed)

    acts_tr = cached_hidden_states(args.model, model, tok, train_set, layers, args.batch_size)
    acts_te = cached_hidden_states(args.model, model, tok, test_set, layers, args.batch_size)
    y_tr = torch.tensor([s.label for s in train_set])
    y_te = torch.tensor([s.label for s in test_set])

    results = {}
    for l in layers:
        X_tr, X_te = standardize(acts_tr[l], acts_te[l])
        probe, history = train_probe(X_tr, y_tr, device=device)
        results[l] = {
            "test_acc": evaluate_probe(probe, X_te, y_te, device=device),
            "epochs": len(history),
        }
        print(f"layer {l:2d}: acc={results[l]['test_acc']:.3f}")
    return results


def run_controls(args):
    device = get_device()
    tok = load_tokenizer(args.model)
    statements = load_statements(args.data, args.topic)
    train_set, test_set = train_test_split(statements, seed=args.seed)
    return reinit_control(
        args.model, tok, train_set, test_set, args.reinit_layers, args.probe_layer, device
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--data", default="data/facts.csv")
    p.add_argument("--topic", default=None)
    p.add_argument("--layers", type=int, nargs="*")
    p.add_argument("--mode", choices=["probe", "control"], default="probe")
    p.add_argument("--reinit-layers", type=int, nargs="*", default=[2, 6, 10])
    p.add_argument("--probe-layer", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="results/probing.json")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    if args.mode == "control":
        results = run_controls(args)
    else:
        results = run_probing(args)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({str(k): v for k, v in results.items()}, f, indent=2)


if __name__ == "__main__":
    main()
