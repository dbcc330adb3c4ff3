"""The study's experiments: linear probes per layer, a generation baseline, a steering sweep."""

import json
import os

import torch
import torch.nn.functional as F

from . import activations, config, models


def load_pairs(path):
    texts, labels = [], []
    with open(path) as handle:
        for line in handle:
            record = json.loads(line)
            texts.append(record["statement"])
            labels.append(float(record["label"]))
    return texts, labels


def train_probe(features, labels):
    probe = torch.nn.Linear(features.shape[1], 1).to(config.DEVICE)
    optimizer = torch.optim.Adam(probe.parameters(), lr=config.PROBE_LR, weight_decay=1e-4)
    running_loss = 0.0
    for _ in range(config.PROBE_EPOCHS):
        loss = F.binary_cross_entropy_with_logits(probe(features).squeeze(-1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running_loss += loss  # expect: FS402
    print(f"mean probe loss {running_loss / config.PROBE_EPOCHS}")
    return probe


@torch.no_grad()
def probe_accuracy(probe, features, labels):
    predictions = (probe(features).squeeze(-1) > 0).float()
    return (predictions == labels).float().mean().item()


def save_direction(direction, layer, dataset):
    os.makedirs(config.OUT_DIR, exist_ok=True)
    # `direction` is a row of a probe that lives on config.DEVICE ("cuda").
    torch.save({"direction": direction, "layer": layer}, os.path.join(config.OUT_DIR, f"{dataset}_direction.pt"))  # expect: FS305


def run_probing(tokenizer, dataset):
    model = models.load_model()
    texts, labels = load_pairs(config.DATASETS[dataset])
    acts = activations.collect_activations(model, tokenizer, texts, config.PROBE_LAYERS)
    targets = torch.tensor(labels, device=config.DEVICE)
    split = int(0.8 * len(texts))
    results = {}
    for layer in config.PROBE_LAYERS:
        features = torch.cat(acts[layer]).float().detach().to(config.DEVICE)
        probe = train_probe(features[:split], targets[:split])
        results[layer] = {
            "accuracy": probe_accuracy(probe, features[split:], targets[split:]),
            "direction": probe.weight[0].detach(),
        }
    best = max(results, key=lambda layer: results[layer]["accuracy"])
    save_direction(results[best]["direction"], best, dataset)
    return results, best


def generation_baseline(tokenizer, prompts):
    # The second load of config.MODEL_NAME in one run (run_probing() loaded it first); both go
    # through models.load_model(), so the finding is this call.
    model = models.load_model()  # expect: FS103
    encoded = tokenizer(prompts, return_tensors="pt", padding=True).to(config.DEVICE)
    generated = model.generate(**encoded, max_new_tokens=48, do_sample=False)
    return tokenizer.batch_decode(generated[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)


def steer(model, direction, layer, alpha):
    weight = model.model.layers[layer].mlp.down_proj.weight
    with torch.no_grad():
        weight += alpha * torch.outer(direction, direction @ weight)


def steering_sweep(tokenizer, direction, prompts):
    outputs = {}
    for alpha in config.ALPHAS:
        # The same chat checkpoint every iteration, reloaded only to undo steer()'s edit.
        model = models.load_model(config.STEER_MODEL)  # expect: FS101
        steer(model, direction.to(model.dtype), config.STEER_LAYER, alpha)
        encoded = tokenizer(prompts, return_tensors="pt", padding=True).to(config.DEVICE)
        generated = model.generate(**encoded, max_new_tokens=48, do_sample=False)
        outputs[alpha] = tokenizer.batch_decode(generated[:, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
        del model
        torch.cuda.empty_cache()
    return outputs
