"""Same analysis along Pythia's training trajectory: how fast does each layer settle?"""
import torch
from transformers import AutoModelForCausalLM

PYTHIA = "EleutherAI/pythia-1b-deduped"
STEPS = [1000, 8000, 32000, 64000, 100000, 143000]


@torch.no_grad()
def layer_norms(model):
    return [
        sum(p.float().norm().item() ** 2 for p in layer.parameters()) ** 0.5
        for layer in model.gpt_neox.layers
    ]


def trajectory(device="cuda"):
    out = {}
    for step in STEPS:
        model = AutoModelForCausalLM.from_pretrained(
            PYTHIA, revision=f"step{step}", torch_dtype=torch.float16
        ).to(device)
        out[step] = layer_norms(model)
        del model
        torch.cuda.empty_cache()
    return out
