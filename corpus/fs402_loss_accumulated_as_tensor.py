"""FS402 loss-accumulated-as-tensor: a graph-attached loss is summed into a running total for
logging, keeping every step's autograd graph alive.

Models are small (gpt2, pythia up to 410m) or parameters, so FS401/FS105 do not apply; training
forward passes reach backward() (FS201). The finding is the accumulation, unless the sum itself
feeds backward().
"""

import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM


# --- true positives --------------------------------------------------------------------------

# Direct: the catalog's case, `+=` after backward().
def train_epoch(model, loader, optimizer):
    model.train()
    total_loss = 0
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss  # expect: FS402
    return total_loss / len(loader)


# Direct, `x = x + loss` form, weighted by batch size.
def train_probe(probe, loader, optimizer):
    running, seen = 0.0, 0
    for features, labels in loader:
        loss = F.cross_entropy(probe(features), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        running = running + loss * labels.shape[0]  # expect: FS402
        seen += labels.shape[0]
    print(f"probe loss {running / seen}")


# Direct, validation without no_grad: the forward pass is FS201 and the running sum is FS402.
def validate(model, loader):
    model.eval()
    total = torch.zeros(())
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss  # expect: FS201
        total += loss  # expect: FS402
    return (total / len(loader)).item()


def training_step(model, batch, optimizer):
    loss = model(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss


# Two calls: the helper returns the loss tensor it backpropagated; the caller sums it.
def train_with_step_helper(model, loader, optimizer, epochs):
    history = []
    for _ in range(epochs):
        epoch_loss = 0.0
        for batch in loader:
            epoch_loss += training_step(model, batch, optimizer)  # expect: FS402
        history.append(float(epoch_loss) / len(loader))
    return history


def token_loss(logits, input_ids):
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), input_ids[:, 1:].flatten())


def forward_loss(model, batch):
    return token_loss(model(**batch).logits, batch["input_ids"])


def step(model, batch, optimizer):
    loss = forward_loss(model, batch)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss


# Three calls: the loss is created in token_loss() and comes back through forward_loss() and
# step() before it is accumulated here.
def finetune_pythia(loader, epochs=2):
    model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-160m")
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5)
    for epoch in range(epochs):
        running_loss = 0.0
        for batch in loader:
            running_loss += step(model, batch, optimizer)  # expect: FS402
        print(f"epoch {epoch}: {running_loss / len(loader)}")
    return model


class LossMeter:
    def __init__(self):
        self.total = 0.0
        self.count = 0

    def update(self, value, n=1):
        # The accumulation is FS402; the same statement also stores the tensor in an attribute,
        # which FS304 may report as well.
        self.total += value * n  # expect: FS402 allow: FS304
        self.count += n

    def average(self):
        return self.total / max(self.count, 1)


# Two calls through a method: a running-average meter fed the raw loss.
def train_with_meter(model, loader, optimizer):
    meter = LossMeter()
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        meter.update(loss, n=batch["input_ids"].shape[0])
    return meter.average()


# --- near-miss negatives -----------------------------------------------------------------------

# The catalog's fix: .item().
def train_epoch_item(model, loader, optimizer):
    total_loss = 0.0
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    return total_loss / len(loader)


# float() also converts to a Python number; .detach() keeps a tensor but drops the graph (and
# avoids a host sync per step).
def train_epoch_float_and_detach(model, loader, optimizer):
    as_float, as_tensor = 0.0, torch.zeros((), device="cuda")
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        as_float += float(loss)
        as_tensor += loss.detach()
    return as_float / len(loader), (as_tensor / len(loader)).item()


# Gradient accumulation: the sum is what backward() is called on.
def accumulate_gradients(model, loader, optimizer, accumulation_steps=4):
    accumulated = 0.0
    for index, batch in enumerate(loader):
        accumulated = accumulated + model(**batch, labels=batch["input_ids"]).loss / accumulation_steps
        if (index + 1) % accumulation_steps == 0:
            accumulated.backward()
            optimizer.step()
            optimizer.zero_grad()
            accumulated = 0.0


# A multi-task objective summed over heads and backpropagated.
def multi_head_step(backbone, heads, batch, optimizer):
    features = backbone(batch["input_ids"]).last_hidden_state[:, 0]
    objective = 0.0
    for name, head in heads.items():
        objective += F.cross_entropy(head(features), batch[name])
    objective.backward()
    optimizer.step()
    optimizer.zero_grad()
    return objective.item()


# Counting tokens and correct predictions: integer tensors with no graph.
def token_accuracy(model, loader):
    correct, tokens = 0, torch.zeros((), dtype=torch.long)
    with torch.no_grad():
        for batch in loader:
            predictions = model(**batch).logits[:, :-1].argmax(-1)
            correct += (predictions == batch["input_ids"][:, 1:]).sum().item()
            tokens += batch["attention_mask"][:, 1:].sum()
    return correct / tokens.item()


# --- judgment calls ----------------------------------------------------------------------------

# Under no_grad the loss has no graph; a tensor sum still costs a little but keeps nothing alive.
def validate_no_grad(model, loader):
    total = 0.0
    with torch.no_grad():
        for batch in loader:
            total += model(**batch, labels=batch["input_ids"]).loss  # allow: FS402
    return total / len(loader)


# Not an accumulation, but a list of graph-attached losses that is returned: that is FS304.
def train_with_history(model, loader, optimizer):
    history = []
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        history.append(loss)  # expect: FS304
    return history


# --- losses returned in tuples, totals kept in dict entries ------------------------------------

class ClassifierTrainer:
    """A training-step object: step() backpropagates and returns the loss with an accuracy."""

    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
        self.criterion = torch.nn.CrossEntropyLoss()

    def step(self, batch):
        inputs, targets = batch
        logits = self.model(inputs)
        loss = self.criterion(logits, targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        accuracy = (logits.argmax(-1) == targets).float().mean().item()
        return loss, accuracy


# Two calls through a method of a repo object: the loss comes back as the first element of a
# tuple and is summed; the accuracy next to it is already a Python number.
def fit_classifier(model, loader, optimizer, epochs):
    trainer = ClassifierTrainer(model, optimizer)
    for epoch in range(epochs):
        epoch_loss, epoch_acc = 0.0, 0.0
        for batch in loader:
            batch_loss, batch_acc = trainer.step(batch)
            epoch_loss += batch_loss  # expect: FS402
            epoch_acc += batch_acc
        print(f"epoch {epoch}: loss {epoch_loss / len(loader)} acc {epoch_acc / len(loader)}")


def moe_micro_step(model, micro_batch, aux_weight=0.01):
    outputs = model(**micro_batch)
    lm_loss = F.cross_entropy(outputs.logits.flatten(0, 1), micro_batch["labels"].flatten())
    router_loss = outputs.aux_loss
    return lm_loss + aux_weight * router_loss, lm_loss, router_loss


# A helper returns three values: the objective (backpropagated) and its two components. The
# language-model component is summed for the log while still attached.
def train_moe(model, loader, optimizer):
    lm_total, steps = 0.0, 0
    for micro_batch in loader:
        objective, lm_loss, router_loss = moe_micro_step(model, micro_batch)
        objective.backward()
        optimizer.step()
        optimizer.zero_grad()
        lm_total += lm_loss  # expect: FS402
        steps += 1
    return lm_total / steps


# A dict of running totals: the reconstruction term goes in as a tensor (the KL term is fine).
# The entry is also a tensor stored in a returned dict, which FS304 may report.
def train_vae(model, loader, optimizer):
    stats = {"recon": 0.0, "kl": 0.0}
    for images in loader:
        reconstruction, mu, logvar = model(images)
        recon = F.mse_loss(reconstruction, images)
        kl = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
        optimizer.zero_grad()
        (recon + kl).backward()
        optimizer.step()
        stats["recon"] += recon  # expect: FS402 allow: FS304
        stats["kl"] += kl.item()
    return {name: total / len(loader) for name, total in stats.items()}


def lm_step(model, batch, optimizer):
    outputs = model(**batch, labels=batch["input_ids"])
    outputs.loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return {"loss": outputs.loss, "tokens": batch["attention_mask"].sum().item()}


# Two calls: the step returns its results in a dict; the caller sums the "loss" entry.
def train_with_step_dict(model, loader, optimizer):
    total_loss, total_tokens = 0.0, 0
    for batch in loader:
        result = lm_step(model, batch, optimizer)
        total_loss += result["loss"] * result["tokens"]  # expect: FS402
        total_tokens += result["tokens"]
    return total_loss / total_tokens


# Near miss of fit_classifier(): the step returns the detached loss.
class DetachingTrainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
        self.criterion = torch.nn.CrossEntropyLoss()

    def step(self, batch):
        inputs, targets = batch
        logits = self.model(inputs)
        loss = self.criterion(logits, targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.detach(), (logits.argmax(-1) == targets).float().mean().item()


def fit_classifier_detached(model, loader, optimizer):
    trainer = DetachingTrainer(model, optimizer)
    epoch_loss, epoch_acc = 0.0, 0.0
    for batch in loader:
        batch_loss, batch_acc = trainer.step(batch)
        epoch_loss += batch_loss
        epoch_acc += batch_acc
    return epoch_loss.item() / len(loader), epoch_acc / len(loader)


# Near miss of train_moe(): the components are converted before they are summed, and the summed
# objective of several micro-batches is what backward() runs on.
def train_moe_logged(model, loader, optimizer, accumulation=4):
    lm_total, pending = 0.0, 0.0
    for index, micro_batch in enumerate(loader):
        objective, lm_loss, router_loss = moe_micro_step(model, micro_batch)
        pending = pending + objective / accumulation
        lm_total += lm_loss.item()
        if (index + 1) % accumulation == 0:
            pending.backward()
            optimizer.step()
            optimizer.zero_grad()
            pending = 0.0
    return lm_total


# Near miss of train_vae(): every entry receives a Python number.
def train_vae_logged(model, loader, optimizer):
    stats = {"recon": 0.0, "kl": 0.0}
    for images in loader:
        reconstruction, mu, logvar = model(images)
        recon = F.mse_loss(reconstruction, images)
        kl = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
        optimizer.zero_grad()
        (recon + kl).backward()
        optimizer.step()
        stats["recon"] += recon.item()
        stats["kl"] += kl.item()
    return stats


# Near miss of train_with_step_dict(): the same dict, its loss converted before summing.
def train_with_step_dict_logged(model, loader, optimizer):
    total_loss, total_tokens = 0.0, 0
    for batch in loader:
        result = lm_step(model, batch, optimizer)
        total_loss += result["loss"].item() * result["tokens"]
        total_tokens += result["tokens"]
    return total_loss / total_tokens


def loss_components(outputs, batch, z_weight=1e-4):
    losses = {}
    losses["ce"] = F.cross_entropy(outputs.logits[:, -1], batch["labels"])
    losses["z"] = outputs.logits.logsumexp(-1).pow(2).mean()
    losses["total"] = losses["ce"] + z_weight * losses["z"]
    return losses


# The components come back in a dict filled entry by entry; "total" is backpropagated, the
# cross-entropy entry is summed as a tensor, and the z-loss is accumulated with dict.get().
# (The dict that loss_components() returns holds one step's tensors only: no FS304 there.)
def train_with_components(model, loader, optimizer):
    ce_total, logged = 0.0, {}
    for batch in loader:
        losses = loss_components(model(**batch), batch)
        losses["total"].backward()
        optimizer.step()
        optimizer.zero_grad()
        ce_total += losses["ce"]  # expect: FS402
        logged["z"] = logged.get("z", 0.0) + losses["z"]  # expect: FS402 allow: FS304
        logged["steps"] = logged.get("steps", 0) + 1
    return ce_total, logged


# Near miss of train_with_components(): numbers only.
def train_with_components_logged(model, loader, optimizer):
    ce_total, logged = 0.0, {}
    for batch in loader:
        losses = loss_components(model(**batch), batch)
        losses["total"].backward()
        optimizer.step()
        optimizer.zero_grad()
        ce_total += losses["ce"].item()
        logged["z"] = logged.get("z", 0.0) + losses["z"].item()
    return ce_total, logged


class CausalLMTrainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def step(self, batch):
        outputs = self.model(**batch, labels=batch["input_ids"])
        outputs.loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return outputs.loss, batch["input_ids"].numel()


# Three calls, identified model: run_trainer() receives the trainer as a parameter (the
# resolver cannot type it; the analysis knows which class its instances are) and sums the loss
# its step() returns first in a tuple.
def run_trainer(trainer, loader):
    total, tokens = 0.0, 0
    for batch in loader:
        loss, n = trainer.step(batch)
        total += loss * n  # expect: FS402
        tokens += n
    return total / tokens


def finetune_small(loader):
    model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-70m")
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-5)
    return run_trainer(CausalLMTrainer(model, optimizer), loader)
