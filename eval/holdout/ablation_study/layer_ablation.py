"""Zero out a whole decoder layer's residual contribution and measure the perplexity hit."""
import torch
from transformers import AutoTokenizer

from .common import load_model_and_tokenizer, perplexity


def zero_layer_(model, layer_idx):
    layer = model.model.layers[layer_idx]
    with torch.no_grad():
        layer.self_attn.o_proj.weight.zero_()
        layer.mlp.down_proj.weight.zero_()


def run(cfg, texts):
    results = {}
    tok = AutoTokenizer.from_pretrained(cfg.model)
    tok.pad_token = tok.pad_token or tok.eos_token
    for layer_idx in cfg.layers:
        model, _ = load_model_and_tokenizer(cfg.model)  # expect: FS101  # allow: FS103
        zero_layer_(model, layer_idx)
        results[layer_idx] = perplexity(model, tok, texts)
        print(f"layer {layer_idx}: ppl {results[layer_idx]:.2f}")
        del model
        torch.cuda.empty_cache()
    return results
