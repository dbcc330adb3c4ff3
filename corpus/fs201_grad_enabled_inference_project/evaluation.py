"""Evaluation helpers shared by the training script and the analysis notebook."""

import torch.nn.functional as F


# Cross-module positive: train.fit() calls this between epochs with grad enabled, and the
# validation loss is only logged. model.eval() does not turn autograd off.
def validation_loss(model, loader):
    model.eval()
    total, count = 0.0, 0
    for batch in loader:
        logits = model(**batch).logits  # expect: FS201
        loss = F.cross_entropy(logits[:, :-1].flatten(0, 1), batch["input_ids"][:, 1:].flatten(), reduction="sum")
        total += loss.item()
        count += batch["input_ids"][:, 1:].numel()
    model.train()
    return total / count
