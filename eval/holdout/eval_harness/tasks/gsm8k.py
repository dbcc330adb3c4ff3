import re

from datasets import load_dataset

from ..models import model_device

FEWSHOT = "Question: {q}\nAnswer: {a}\n\n"
ANSWER_RE = re.compile(r"#### (\-?[0-9\.\,]+)")


def _extract(text):
    m = ANSWER_RE.search(text)
    if m:
        return m.group(1).replace(",", "").strip()
    nums = re.findall(r"-?\d+\.?\d*", text)
    return nums[-1] if nums else None


def evaluate(model, tokenizer, cfg, n_shot=5):
    train = load_dataset("gsm8k", "main", split="train").select(range(n_shot))
    test = load_dataset("gsm8k", "main", split="test")
    if cfg.limit:
        test = test.select(range(cfg.limit))
    prefix = "".join(FEWSHOT.format(q=d["question"], a=d["answer"]) for d in train)
    tokenizer.padding_side = "left"
    correct = 0
    for i in range(0, len(test), cfg.batch_size):
        docs = test.select(range(i, min(i + cfg.batch_size, len(test))))
        prompts = [prefix + f"Question: {d['question']}\nAnswer:" for d in docs]
        enc = tokenizer(prompts, return_tensors="pt", padding=True).to(model_device(model))
        out = model.generate(**enc, max_new_tokens=cfg.max_new_tokens, do_sample=False,
                             pad_token_id=tokenizer.pad_token_id)
        texts = tokenizer.batch_decode(out[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
        for d, t in zip(docs, texts):
            correct += _extract(t.split("Question:")[0]) == _extract(d["answer"])
    return {"exact_match": correct / len(test)}
