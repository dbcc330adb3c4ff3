"""Logistic-regression probes trained with PyTorch (full-batch Adam, early stopping)."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class LinearProbe(nn.Module):
    def __init__(self, d_model, n_classes=2):
        super().__init__()
        self.linear = nn.Linear(d_model, n_classes)

    def forward(self, x):
        return self.linear(x)


def standardize(X_train, X_test):
    mu = X_train.mean(0, keepdim=True)
    sigma = X_train.std(0, keepdim=True) + 1e-6
    return (X_train - mu) / sigma, (X_test - mu) / sigma


def train_probe(X, y, device="cuda", epochs=200, lr=1e-3, weight_decay=1e-2, batch_size=256, patience=10):
    n_val = max(1, len(X) // 10)
    X_tr, y_tr = X[n_val:].to(device), y[n_val:].to(device)
    X_val, y_val = X[:n_val].to(device), y[:n_val].to(device)

    probe = LinearProbe(X.shape[1]).to(device)
    opt = torch.optim.AdamW(probe.parameters(), lr=lr, weight_decay=weight_decay)
    best_val, best_state, bad_epochs = float("inf"), None, 0
    history = []
    for epoch in range(epochs):
        probe.train()
        perm = torch.randperm(len(X_tr), device=device)
        epoch_loss = 0.0
        for i in range(0, len(perm), batch_size):
            idx = perm[i : i + batch_size]
            loss = F.cross_entropy(probe(X_tr[idx]), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_loss += loss  # expect: FS402

        probe.eval()
        val_logits = probe(X_val)  # expect: FS201
        val_loss = F.cross_entropy(val_logits, y_val).item()
        history.append({"epoch": epoch, "train_loss": float(epoch_loss), "val_loss": val_loss})
        if val_loss < best_val - 1e-4:
            best_val, bad_epochs = val_loss, 0
            best_state = copy.deepcopy(probe.state_dict())
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                break
    probe.load_state_dict(best_state)
    return probe, history


@torch.no_grad()
def evaluate_probe(probe, X, y, device="cuda"):
    probe.eval()
    preds = probe(X.to(device)).argmax(-1).cpu()
    return (preds == y).float().mean().item()
