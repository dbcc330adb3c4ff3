"""Entry point of the clean study."""

import argparse
import json
import os

import torch

from . import collect, config, data, models, probes, steer

PROMPTS = [
    "Is it true that the Great Wall of China is visible from space?",
    "Which city is the capital of Australia?",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="cities", choices=sorted(config.DATASETS))
    args = parser.parse_args()

    model = models.load_model()
    tokenizer = models.load_tokenizer()
    texts, labels = data.load_pairs(config.DATASETS[args.dataset])
    activations = collect.cached_activations(model, tokenizer, texts, config.LAYERS, args.dataset)
    targets = torch.tensor(labels)
    split = int(config.TRAIN_FRACTION * len(texts))

    report, best = {}, None
    for layer in config.LAYERS:
        features = activations[layer]
        probe, train_loss = probes.train_probe(features[:split], targets[:split])
        test_accuracy = probes.accuracy(probe, features[split:], targets[split:])
        report[layer] = {"accuracy": test_accuracy, "train_loss": train_loss}
        if best is None or test_accuracy > report[best[0]]["accuracy"]:
            best = (layer, probe)

    best_layer, best_probe = best
    direction = probes.unit_direction(best_probe)
    os.makedirs(config.OUT_DIR, exist_ok=True)
    torch.save({"direction": direction, "layer": best_layer}, os.path.join(config.OUT_DIR, f"{args.dataset}_direction.pt"))
    report["steering"] = steer.steering_sweep(model, tokenizer, direction, PROMPTS)
    with open(os.path.join(config.OUT_DIR, f"{args.dataset}_report.json"), "w") as handle:
        json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
