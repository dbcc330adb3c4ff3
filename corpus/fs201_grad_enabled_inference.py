"""FS201 grad-enabled-inference: a forward pass runs with autograd on and nothing backpropagates.

Models loaded here are small (gpt2, pythia up to 410m), so FS401 does not apply; results kept
across calls are plain numbers or detached tensors (FS304). The finding is the forward call
(`model(...)`, `model.forward(...)`) in a calling context where grad is enabled and whose result
never reaches backward().
"""

import torch
import torch.nn.functional as F
from transformer_lens import HookedTransformer
from transformers import AutoModelForCausalLM, AutoTokenizer


# --- true positives --------------------------------------------------------------------------

# Direct: model.eval() switches dropout off; it does not switch autograd off.
def evaluate_accuracy(model, loader):
    model.eval()
    correct = total = 0
    for batch in loader:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits  # expect: FS201
        predictions = logits[:, -1].argmax(-1)
        correct += (predictions == batch["labels"]).sum().item()
        total += batch["labels"].numel()
    return correct / total


# Direct: activation collection. The features are detached afterwards, but the forward pass
# has already recorded the graph and kept every intermediate activation for it.
def collect_hidden_states(model, tokenizer, texts, layer):
    features = []
    for text in texts:
        encoded = tokenizer(text, return_tensors="pt").to(model.device)
        outputs = model(**encoded, output_hidden_states=True)  # expect: FS201
        features.append(outputs.hidden_states[layer][0, -1].detach().cpu())
    return torch.stack(features)


# Direct, TransformerLens: an IOI-style logit difference on a freshly loaded model.
def ioi_logit_diff(prompts, correct_ids, wrong_ids):
    model = HookedTransformer.from_pretrained("gpt2")
    tokens = model.to_tokens(prompts)
    logits = model(tokens)  # expect: FS201
    last = logits[:, -1]
    diff = last.gather(-1, correct_ids[:, None]) - last.gather(-1, wrong_ids[:, None])
    return diff.mean().item()


# Direct: an explicit .forward() call on a loaded model.
def multiple_choice(question_ids, choice_token_ids):
    model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-160m")
    logits = model.forward(input_ids=question_ids).logits[:, -1]  # expect: FS201
    return logits[:, choice_token_ids].softmax(-1).tolist()


def train_probe(features, labels, epochs=200):
    probe = torch.nn.Linear(features.shape[1], 1)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2)
    for _ in range(epochs):
        loss = F.binary_cross_entropy_with_logits(probe(features).squeeze(-1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return probe


def probe_accuracy(probe, features, labels):
    predictions = probe(features).squeeze(-1) > 0  # expect: FS201
    return (predictions == labels.bool()).float().mean().item()


# Two calls: the probe's training forward reaches backward() (fine, in train_probe), its held-out
# evaluation does not (reported in probe_accuracy, reached from here with grad enabled).
def fit_and_score(train_x, train_y, test_x, test_y):
    probe = train_probe(train_x, train_y)
    return probe_accuracy(probe, test_x, test_y)


def next_token_logits(model, batch):
    return model(**batch).logits[:, -1]  # expect: FS201


@torch.no_grad()
def greedy_step(model, batch):
    return next_token_logits(model, batch).argmax(-1).tolist()


# Two calls, mixed contexts: next_token_logits() runs under no_grad when greedy_step() calls it,
# and with grad enabled when this function does; the finding is for this context only.
def report_entropy(model, batch):
    probs = next_token_logits(model, batch).softmax(-1)
    return -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean().item()


def score_batch(model, batch):
    outputs = model(**batch)  # expect: FS201
    shifted = outputs.logits[:, :-1].flatten(0, 1)
    return F.cross_entropy(shifted, batch["input_ids"][:, 1:].flatten(), reduction="sum").item()


def evaluate_split(model, loader):
    return sum(score_batch(model, batch) for batch in loader) / len(loader.dataset)


def evaluate_all(model, splits):
    return {name: evaluate_split(model, loader) for name, loader in splits.items()}


# Three calls: the grad-enabled context of this entry point reaches the forward pass through
# evaluate_all() -> evaluate_split() -> score_batch().
def evaluate_pythia(splits):
    model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-410m")
    model.eval()
    return evaluate_all(model, splits)


# Unknown origin, typed from use: nobody calls this function; `.eval()` says `model` is a model
# and the default grad mode is enabled. Lower confidence.
def get_logits(model, input_ids):
    model.eval()
    return model(input_ids).logits.float().cpu().tolist()  # expect: FS201


# --- near-miss negatives -----------------------------------------------------------------------

# torch.no_grad() as a context manager.
def evaluate_accuracy_no_grad(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for batch in loader:
            predictions = model(**batch).logits[:, -1].argmax(-1)
            correct += (predictions == batch["labels"]).sum().item()
            total += batch["labels"].numel()
    return correct / total


# torch.inference_mode() as a context manager.
def collect_hidden_states_inference(model, tokenizer, texts, layer):
    encoded = tokenizer(texts, return_tensors="pt", padding=True).to(model.device)
    with torch.inference_mode():
        outputs = model(**encoded, output_hidden_states=True)
    return outputs.hidden_states[layer][:, -1].cpu()


# The decorator forms.
@torch.inference_mode()
def last_layer_mean(model, batch):
    return model(**batch, output_hidden_states=True).hidden_states[-1].mean(1).cpu()


@torch.no_grad()
def tl_loss(model, tokens):
    return model(tokens, return_type="loss").item()


# set_grad_enabled(False) as a context manager.
def perplexity(model, batch):
    with torch.set_grad_enabled(False):
        loss = model(**batch, labels=batch["input_ids"]).loss
    return torch.exp(loss).item()


def layer_logits(model, batch):
    return model(**batch).logits[:, -1]


@torch.no_grad()
def rank_candidates(model, batch):
    return layer_logits(model, batch).topk(5).indices.tolist()


# A helper called only from no_grad contexts runs under no_grad: layer_logits() is reached from
# rank_candidates() (decorated) and from here (inside the with block).
def top_token(model, batch):
    with torch.no_grad():
        return layer_logits(model, batch).argmax(-1).tolist()


# Training: the forward pass feeds loss.backward().
def finetune(model, loader, optimizer):
    model.train()
    for batch in loader:
        loss = model(**batch, labels=batch["input_ids"]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"loss {loss.item():.4f}")


def language_modeling_loss(model, batch):
    logits = model(**batch).logits
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), batch["input_ids"][:, 1:].flatten())


# Training through a helper: the loss returned by language_modeling_loss() reaches backward().
def finetune_with_helper(model, loader, optimizer):
    for batch in loader:
        loss = language_modeling_loss(model, batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


# Gradient attribution: the output is differentiated on purpose.
def saliency(model, tokenizer, text, target_id):
    encoded = tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        embeds = model.get_input_embeddings()(encoded["input_ids"])
    embeds.requires_grad_(True)
    logits = model(inputs_embeds=embeds, attention_mask=encoded["attention_mask"]).logits
    logits[0, -1, target_id].backward()
    return embeds.grad.norm(dim=-1).squeeze(0).tolist()


# Integrated-gradients style attribution through torch.autograd.grad.
def input_gradient(model, embeds, target_id):
    embeds = embeds.detach().requires_grad_(True)
    logit = model(inputs_embeds=embeds).logits[0, -1, target_id]
    (gradient,) = torch.autograd.grad(logit, embeds)
    return (gradient * embeds).sum(-1).detach().cpu()


# generate() already runs without autograd.
def sample_completions(prompts):
    tokenizer = AutoTokenizer.from_pretrained("EleutherAI/pythia-70m")
    model = AutoModelForCausalLM.from_pretrained("EleutherAI/pythia-70m")
    encoded = tokenizer(prompts, return_tensors="pt")
    return tokenizer.batch_decode(model.generate(**encoded, max_new_tokens=20), skip_special_tokens=True)


# A Lightning-style module: the head and the loss module it holds run in training_step(), whose
# returned dict's "loss" the framework backpropagates. Neither call is inference.
class SentimentHead(torch.nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.head = torch.nn.Linear(hidden_size, 2)
        self.criterion = torch.nn.CrossEntropyLoss()

    def training_step(self, batch, batch_idx):
        logits = self.head(batch["features"])
        loss = self.criterion(logits, batch["labels"])
        return {"loss": loss, "logits": logits.detach()}


# --- judgment calls ----------------------------------------------------------------------------

# Every parameter is frozen and the input needs no grad, so autograd records nothing even though
# grad mode is on. A finding is neither required nor wrong.
def frozen_backbone_features(backbone, input_ids):
    backbone.requires_grad_(False)
    return backbone(input_ids).last_hidden_state[:, 0].cpu()  # allow: FS201
