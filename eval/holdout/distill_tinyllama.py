"""Logit + intermediate-feature distillation of Llama-2-13B into TinyLlama-1.1B.

Loss = KL(teacher || student) on next-token distributions at temperature T
     + beta * MSE between projected student hidden states and teacher hidden states
       at a few aligned layers
     + CE on the ground-truth tokens.
"""
import argparse
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer

TEACHER = "meta-llama/Llama-2-13b-hf"
STUDENT = "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T"
# student layer -> teacher layer (22 vs 40 layers)
LAYER_MAP = {5: 9, 10: 18, 15: 27, 21: 39}


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="wikitext")
    ap.add_argument("--subset", default="wikitext-103-raw-v1")
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--micro-batches", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--temperature", type=float, default=2.0)
    ap.add_argument("--alpha", type=float, default=0.5, help="weight of KD vs CE")
    ap.add_argument("--beta", type=float, default=0.1, help="weight of feature loss")
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--out", default="checkpoints/tinyllama-distilled")
    return ap.parse_args()


def build_loader(tok, args, split):
    ds = load_dataset(args.dataset, args.subset, split=split)
    ds = ds.filter(lambda x: len(x["text"]) > 200)

    def tokenize(batch):
        return tok(batch["text"], truncation=True, max_length=args.seq_len, padding="max_length")

    ds = ds.map(tokenize, batched=True, remove_columns=ds.column_names)
    ds.set_format("torch")
    return DataLoader(ds, batch_size=args.batch_size, shuffle=(split == "train"), drop_last=True)


def kd_loss_fn(student_logits, teacher_logits, mask, T):
    s = F.log_softmax(student_logits / T, dim=-1)
    t = F.log_softmax(teacher_logits / T, dim=-1)
    kl = F.kl_div(s, t, log_target=True, reduction="none").sum(-1)
    return (kl * mask).sum() / mask.sum() * T * T


def main():
    args = get_args()
    device = torch.device("cuda")
    tok = AutoTokenizer.from_pretrained(STUDENT)
    tok.pad_token = tok.eos_token

    teacher = AutoModelForCausalLM.from_pretrained(TEACHER, torch_dtype=torch.bfloat16).to(device)
    teacher.eval()
    teacher.requires_grad_(False)
    student = AutoModelForCausalLM.from_pretrained(STUDENT).to(device)  # expect: FS401  # allow: FS105
    student.train()

    d_s, d_t = student.config.hidden_size, teacher.config.hidden_size
    projectors = nn.ModuleDict({str(l): nn.Linear(d_s, d_t) for l in LAYER_MAP}).to(device)

    student_feats = {}

    def save_feat(layer_idx):
        def hook(module, inputs, output):
            student_feats[layer_idx] = output[0]  # allow: FS304
        return hook

    for l in LAYER_MAP:
        student.model.layers[l].register_forward_hook(save_feat(l))  # expect: FS301

    params = list(student.parameters()) + list(projectors.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    train_loader = build_loader(tok, args, "train")
    val_loader = build_loader(tok, args, "validation")

    def micro_step(batch):
        ids = batch["input_ids"].to(device)
        mask = batch["attention_mask"].to(device)
        with torch.no_grad():
            t_out = teacher(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        s_out = student(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100))
        m = mask[:, :-1].float()
        kd = kd_loss_fn(s_out.logits[:, :-1].float(), t_out.logits[:, :-1].float(), m, args.temperature)
        feat = sum(
            F.mse_loss(projectors[str(sl)](student_feats[sl]).float(), t_out.hidden_states[tl + 1].float())
            for sl, tl in LAYER_MAP.items()
        ) / len(LAYER_MAP)
        loss = args.alpha * kd + (1 - args.alpha) * s_out.loss + args.beta * feat
        return loss, kd, s_out.loss

    @torch.no_grad()
    def validate(max_batches=20):
        student.eval()
        total, n = 0.0, 0
        for i, batch in enumerate(val_loader):
            if i >= max_batches:
                break
            ids = batch["input_ids"].to(device)
            mask = batch["attention_mask"].to(device)
            out = student(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100))
            total += out.loss  # allow: FS402
            n += 1
        student.train()
        return (total / n).item()

    step, kd_total, ce_total = 0, 0.0, 0.0
    it = iter(train_loader)
    while step < args.steps:
        try:
            batch = next(it)
        except StopIteration:
            it = iter(train_loader)
            batch = next(it)

        chunks = [{k: v.chunk(args.micro_batches)[j] for k, v in batch.items()}
                  for j in range(args.micro_batches)]
        step_loss = 0.0
        for mb in chunks:
            loss, kd, ce = micro_step(mb)
            step_loss = step_loss + loss / args.micro_batches
            kd_total += kd  # expect: FS402
            ce_total += ce.item()
        opt.zero_grad(set_to_none=True)
        step_loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1

        if step % 50 == 0:
            n = 50 * args.micro_batches
            print(f"step {step}: kd {float(kd_total) / n:.4f} ce {ce_total / n:.4f}")
            kd_total, ce_total = 0.0, 0.0
        if step % args.eval_every == 0:
            val = validate()
            print(f"  val loss {val:.4f} ppl {math.exp(val):.1f}")

    os.makedirs(args.out, exist_ok=True)
    student.save_pretrained(args.out)
    tok.save_pretrained(args.out)
    torch.save(projectors.state_dict(), os.path.join(args.out, "projectors.pt"))


if __name__ == "__main__":
    main()
