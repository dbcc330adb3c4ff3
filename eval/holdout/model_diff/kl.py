"""Next-token KL(chat || base) per prompt."""
import torch.nn.functional as F


def kl_per_prompt(base, chat, tokenizer, prompts, device):
    kls = []
    for prompt in prompts:
        enc = tokenizer(prompt, return_tensors="pt").to(device)
        base_logits = base(**enc).logits[0].float()  # expect: FS201
        chat_logits = chat(**enc).logits[0].float()  # expect: FS201
        kl = F.kl_div(
            F.log_softmax(base_logits, -1), F.log_softmax(chat_logits, -1),
            log_target=True, reduction="none",
        ).sum(-1)
        kls.append(kl.mean().item())
    return kls
