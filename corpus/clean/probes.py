"""Linear probes trained on the CPU."""

import torch
import torch.nn.functional as F

from . import config


def train_probe(features, labels):
    probe = torch.nn.Linear(features.shape[1], 1)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-3, weight_decay=1e-4)
    total = 0.0
    for _ in range(config.PROBE_EPOCHS):
        loss = F.binary_cross_entropy_with_logits(probe(features).squeeze(-1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return probe, total / config.PROBE_EPOCHS


@torch.no_grad()
def accuracy(probe, features, labels):
    predictions = (probe(features).squeeze(-1) > 0).float()
    return (predictions == labels).float().mean().item()


def unit_direction(probe):
    weight = probe.weight.detach()[0]
    return weight / weight.norm()
