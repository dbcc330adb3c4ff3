"""Bradley-Terry reward model on Anthropic HH preference pairs (Pythia-410M backbone), then a
sanity check of its rankings against two public 7B reward models."""
import argparse
import collections
import statistics

import torch
import torch.nn.functional as F
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, AutoTokenizer

BACKBONE = "EleutherAI/pythia-410m-deduped"
JUDGES = ["OpenAssistant/oasst-rm-2-pythia-6.9b-epoch-1", "weqweasdas/RM-Mistral-7B"]


def make_loader(tok, split, batch_size, max_len=512, limit=None):
    ds = load_dataset("Anthropic/hh-rlhf", split=split)
    if limit:
        ds = ds.select(range(limit))

    def collate(rows):
        chosen = tok([r["chosen"] for r in rows], truncation=True, max_length=max_len,
                     padding=True, return_tensors="pt")
        rejected = tok([r["rejected"] for r in rows], truncation=True, max_length=max_len,
                       padding=True, return_tensors="pt")
        return {"chosen": chosen, "rejected": rejected, "raw": rows}

    return DataLoader(ds, batch_size=batch_size, shuffle=(split == "train"), collate_fn=collate)


def score_pairs(model, batch, device):
    chosen = {k: v.to(device) for k, v in batch["chosen"].items()}
    rejected = {k: v.to(device) for k, v in batch["rejected"].items()}
    r_c = model(**chosen).logits.squeeze(-1)
    r_r = model(**rejected).logits.squeeze(-1)
    return r_c, r_r


class RMTrainer:
    def __init__(self, model, lr, device, monitor_grads=True):
        self.model = model
        self.device = device
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
        self.grad_norms = collections.defaultdict(list)
        self.margin_log = []
        if monitor_grads:
            for name, layer in model.gpt_neox.layers.named_children():
                layer.register_full_backward_hook(self._grad_norm_hook(name))  # expect: FS301

    def _grad_norm_hook(self, name):
        def hook(module, grad_input, grad_output):
            self.grad_norms[name].append(grad_output[0].norm().item())
        return hook

    def train_step(self, batch):
        self.model.train()
        r_c, r_r = score_pairs(self.model, batch, self.device)
        margin = r_c - r_r
        loss = -F.logsigmoid(margin).mean()
        self.opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.margin_log.append(margin.mean())  # expect: FS304
        return loss, (margin > 0).float().mean().item()

    @torch.no_grad()
    def evaluate(self, loader, max_batches=100):
        self.model.eval()
        accs = []
        for i, batch in enumerate(loader):
            if i >= max_batches:
                break
            r_c, r_r = score_pairs(self.model, batch, self.device)
            accs.append((r_c > r_r).float().mean().item())
        return statistics.mean(accs)


def train(trainer, train_loader, val_loader, epochs, log_every=50):
    step = 0
    running_loss, running_acc = 0.0, 0.0
    for epoch in range(epochs):
        for batch in train_loader:
            loss, acc = trainer.train_step(batch)
            running_loss += loss  # expect: FS402
            running_acc += acc
            step += 1
            if step % log_every == 0:
                print(f"ep {epoch} step {step} loss {float(running_loss) / log_every:.4f} "
                      f"acc {running_acc / log_every:.3f}")
                running_loss, running_acc = 0.0, 0.0
        print(f"epoch {epoch}: val acc {trainer.evaluate(val_loader):.3f}")


@torch.no_grad()
def judge_agreement(model, tok, judges, judge_toks, rows, device):
    """Fraction of pairs where our RM and each judge prefer the same response."""
    agree = {n: 0 for n in judges}
    for row in rows:
        enc = tok([row["chosen"], row["rejected"]], return_tensors="pt", padding=True,
                  truncation=True, max_length=512).to(device)
        ours = model(**enc).logits.squeeze(-1)
        for n, judge in judges.items():
            jenc = judge_toks[n]([row["chosen"], row["rejected"]], return_tensors="pt",
                                 padding=True, truncation=True, max_length=1024).to(device)
            theirs = judge(**jenc).logits.squeeze(-1)
            agree[n] += int((ours[0] > ours[1]) == (theirs[0] > theirs[1]))
    return {n: a / len(rows) for n, a in agree.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--judge", action="store_true")
    ap.add_argument("--out", default="checkpoints/rm-pythia-410m")
    args = ap.parse_args()

    device = "cuda"
    tok = AutoTokenizer.from_pretrained(BACKBONE)
    tok.pad_token = tok.eos_token
    model = AutoModelForSequenceClassification.from_pretrained(BACKBONE, num_labels=1).to(device)
    model.config.pad_token_id = tok.pad_token_id

    trainer = RMTrainer(model, args.lr, device)
    train_loader = make_loader(tok, "train", args.batch_size)
    val_loader = make_loader(tok, "test", args.batch_size, limit=2000)
    train(trainer, train_loader, val_loader, args.epochs)
    model.save_pretrained(args.out)
    tok.save_pretrained(args.out)

    if args.judge:
        judge_toks = {n: AutoTokenizer.from_pretrained(n) for n in JUDGES}
        judges = {n: AutoModelForSequenceClassification.from_pretrained(n, torch_dtype=torch.float16).to(device) for n in JUDGES}  # expect: FS105
        rows = load_dataset("Anthropic/hh-rlhf", split="test").select(range(500))
        print(judge_agreement(model, tok, judges, judge_toks, rows, device))


if __name__ == "__main__":
    main()
