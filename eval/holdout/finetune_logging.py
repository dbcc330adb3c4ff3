#!/usr/bin/env python
"""Full fine-tuning (no LoRA) of Pythia-1.4B on an instruction dataset, with periodic eval,
sample generations and best-checkpoint tracking.

    python finetune_logging.py --data data/alpaca_clean.jsonl --epochs 2 --lr 1e-5
"""
import argparse
import copy
import json
import math
import os
import time

import torch
from torch.utils.data import DataLoader, Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, get_cosine_schedule_with_warmup

try:
    import wandb
except ImportError:  # logging is optional
    wandb = None

PROMPT = "### Instruction:\n{instruction}\n\n### Response:\n"


class InstructionDataset(Dataset):
    def __init__(self, path, tokenizer, max_len=512):
        with open(path) as f:
            self.rows = [json.loads(l) for l in f]
        self.tok = tokenizer
        self.max_len = max_len

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        row = self.rows[i]
        prompt = PROMPT.format(instruction=row["instruction"])
        prompt_ids = self.tok(prompt)["input_ids"]
        full = self.tok(prompt + row["output"] + self.tok.eos_token)["input_ids"][: self.max_len]
        labels = [-100] * min(len(prompt_ids), len(full)) + full[len(prompt_ids) :]
        return {"input_ids": full, "labels": labels}


def collate(batch, pad_id):
    n = max(len(b["input_ids"]) for b in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), n), -100, dtype=torch.long)
    mask = torch.zeros((len(batch), n), dtype=torch.long)
    for i, b in enumerate(batch):
        L = len(b["input_ids"])
        ids[i, :L] = torch.tensor(b["input_ids"])
        labels[i, :L] = torch.tensor(b["labels"])
        mask[i, :L] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def evaluate(model, loader, device, max_batches=50):
    model.eval()
    total, n = 0.0, 0
    for i, batch in enumerate(loader):
        if i >= max_batches:
            break
        batch = {k: v.to(device) for k, v in batch.items()}
        outputs = model(**batch)  # expect: FS201
        total += outputs.loss.item()
        n += 1
    model.train()
    return total / max(n, 1)


@torch.no_grad()
def sample(model, tokenizer, prompts, device, max_new_tokens=128):
    model.eval()
    outs = []
    for p in prompts:
        enc = tokenizer(PROMPT.format(instruction=p), return_tensors="pt").to(device)
        gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=True, top_p=0.9)
        outs.append(tokenizer.decode(gen[0, enc["input_ids"].shape[1] :], skip_special_tokens=True))
    model.train()
    return outs


def train(args, model, tokenizer, train_loader, val_loader, device):
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(train_loader) / args.grad_accum)
    sched = get_cosine_schedule_with_warmup(opt, args.warmup, steps_per_epoch * args.epochs)

    history = []
    best_val, best_model = float("inf"), None
    step, tr_loss = 0, torch.zeros((), device=device)
    t0 = time.time()
    model.train()
    for epoch in range(args.epochs):
        for i, batch in enumerate(train_loader):
            batch = {k: v.to(device) for k, v in batch.items()}
            outputs = model(**batch)
            loss = outputs.loss / args.grad_accum
            loss.backward()
            tr_loss += loss.detach()
            if (i + 1) % args.grad_accum != 0:
                continue

            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1

            if step % args.log_every == 0:
                avg = (tr_loss / args.log_every).item()
                tr_loss.zero_()
                history.append({"step": step, "loss": loss * args.grad_accum, "avg_loss": avg})  # expect: FS304
                print(f"epoch {epoch} step {step} loss {avg:.4f} ({time.time() - t0:.0f}s)")
                if wandb is not None and wandb.run is not None:
                    wandb.log({"train/loss": avg, "lr": sched.get_last_lr()[0]}, step=step)

            if step % args.eval_every == 0:
                val = evaluate(model, val_loader, device)
                print(f"  val loss {val:.4f} ppl {math.exp(val):.2f}")
                if val < best_val:
                    best_val = val
                    best_model = copy.deepcopy(model)  # expect: FS104  # allow: FS105
                for s in sample(model, tokenizer, ["Name three primary colors."], device):
                    print("  sample:", s.replace("\n", " ")[:200])
    return history, best_model or model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="EleutherAI/pythia-1.4b")
    ap.add_argument("--data", default="data/alpaca_clean.jsonl")
    ap.add_argument("--val-data", default="data/alpaca_val.jsonl")
    ap.add_argument("--out", default="checkpoints/pythia-1.4b-sft")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--grad-accum", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--wandb", action="store_true")
    args = ap.parse_args()

    device = "cuda"
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    tokenizer.pad_token = tokenizer.eos_token
    # fp32 master weights: bf16 AdamW updates at lr=1e-5 underflow.
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32)  # expect: FS401
    model.gradient_checkpointing_enable()
    model.to(device)

    train_ds = InstructionDataset(args.data, tokenizer)
    val_ds = InstructionDataset(args.val_data, tokenizer)
    pad = tokenizer.pad_token_id
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True,
                              collate_fn=lambda b: collate(b, pad))
    val_loader = DataLoader(val_ds, batch_size=args.batch_size, collate_fn=lambda b: collate(b, pad))

    if args.wandb and wandb is not None:
        wandb.init(project="pythia-sft", config=vars(args))

    history, best = train(args, model, tokenizer, train_loader, val_loader, device)

    os.makedirs(args.out, exist_ok=True)
    best.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    torch.save(model.state_dict(), os.path.join(args.out, "last_state_dict.pt"))
    with open(os.path.join(args.out, "history.json"), "w") as f:
        json.dump([{k: float(v) for k, v in h.items()} for h in history], f)


if __name__ == "__main__":
    main()
