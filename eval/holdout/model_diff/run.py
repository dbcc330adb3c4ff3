"""python -m model_diff.run [--trajectory]"""
import argparse
import json
import os

from . import activations, checkpoints, weights
from .config import DiffConfig


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trajectory", action="store_true")
    args = ap.parse_args()
    cfg = DiffConfig()
    os.makedirs(cfg.out_dir, exist_ok=True)

    weight_report = weights.compare(cfg)
    with open(os.path.join(cfg.out_dir, "weights.json"), "w") as f:
        json.dump(weight_report, f)

    act_report = activations.compare(cfg)
    with open(os.path.join(cfg.out_dir, "activations.json"), "w") as f:
        json.dump(act_report, f)

    if args.trajectory:
        with open(os.path.join(cfg.out_dir, "pythia_trajectory.json"), "w") as f:
            json.dump(checkpoints.trajectory(cfg.device), f)


if __name__ == "__main__":
    main()
