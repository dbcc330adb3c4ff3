"""Notebook-style script, TransformerLens tutorial idiom: autograd is switched off for the whole
process before anything runs, so none of the forward passes below (or in analysis.py, which is
only called from here) records a graph."""

import torch
from transformer_lens import HookedTransformer

from . import analysis

torch.set_grad_enabled(False)

model = HookedTransformer.from_pretrained("pythia-160m")
prompts = ["When Mary and John went to the store, John gave a drink to", "The Eiffel Tower is in"]
tokens = model.to_tokens(prompts)
answers = torch.tensor([model.to_single_token(" Mary"), model.to_single_token(" Paris")])

logits = model(tokens)
print("top tokens:", model.to_str_tokens(logits[:, -1].argmax(-1)))
print("loss:", analysis.loss_on(model, tokens))
print("head attribution:", analysis.head_attribution(model, tokens, answers))
