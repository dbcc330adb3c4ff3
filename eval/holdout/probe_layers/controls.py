"""Control: re-initialise one layer at a time and see how much probe accuracy drops downstream."""
import torch

from .activations import collect_hidden_states
from .models import load_model
from .probes import evaluate_probe, standardize, train_probe


def reinit_block_(model, layer_idx, std=0.02):
    block = model.gpt_neox.layers[layer_idx]
    with torch.no_grad():
        for name, p in block.named_parameters():
            if p.dim() >= 2:
                torch.nn.init.normal_(p, mean=0.0, std=std)
            elif "bias" in name:
                p.zero_()


def reinit_control(model_name, tokenizer, train_set, test_set, reinit_layers, probe_layer, device):
    y_tr = torch.tensor([s.label for s in train_set])
    y_te = torch.tensor([s.label for s in test_set])
    accs = {}
    for layer_idx in reinit_layers:
        model = load_model(model_name, device)  # expect: FS101  # allow: FS103
        reinit_block_(model, layer_idx)
        tr = collect_hidden_states(model, tokenizer, train_set, [probe_layer])[probe_layer]
        te = collect_hidden_states(model, tokenizer, test_set, [probe_layer])[probe_layer]
        tr, te = standardize(tr, te)
        probe, _ = train_probe(tr, y_tr, device=device)
        accs[layer_idx] = evaluate_probe(probe, te, y_te, device=device)
        del model
        torch.cuda.empty_cache()
    return accs
