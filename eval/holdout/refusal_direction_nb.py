#!/usr/bin/env python
# coding: utf-8

# # Refusal is mediated by a single direction?
# Reproducing the difference-in-means refusal direction on Llama-2-7b-chat, then ablating it.

# In[1]:


import gc
import json
import random

import matplotlib.pyplot as plt
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


# In[2]:


MODEL = "meta-llama/Llama-2-7b-chat-hf"
tokenizer = AutoTokenizer.from_pretrained(MODEL)
tokenizer.pad_token = tokenizer.unk_token
tokenizer.padding_side = "left"
model = AutoModelForCausalLM.from_pretrained(MODEL, device_map="cuda")  # expect: FS401
model.eval()
print(model.config.num_hidden_layers, model.config.hidden_size)


# In[3]:


with open("data/harmful_instructions.json") as f:
    harmful = json.load(f)
with open("data/harmless_instructions.json") as f:
    harmless = json.load(f)
random.seed(0)
harmful = random.sample(harmful, 128)
harmless = random.sample(harmless, 128)
CHAT = "[INST] {instruction} [/INST] "
harmful_prompts = [CHAT.format(instruction=x) for x in harmful]
harmless_prompts = [CHAT.format(instruction=x) for x in harmless]


# In[4]:


# grab the residual stream at the last prompt token for every layer
n_layers = model.config.num_hidden_layers
acts = {"harmful": {l: [] for l in range(n_layers)}, "harmless": {l: [] for l in range(n_layers)}}
current = "harmful"


def make_hook(layer):
    def hook(module, inp, out):
        acts[current][layer].append(out[0][:, -1, :])  # expect: FS304
    return hook


hooks = [model.model.layers[l].register_forward_hook(make_hook(l)) for l in range(n_layers)]
for current, prompts in [("harmful", harmful_prompts), ("harmless", harmless_prompts)]:
    for i in range(0, len(prompts), 16):
        toks = tokenizer(prompts[i:i + 16], return_tensors="pt", padding=True).to("cuda")
        model(**toks)  # expect: FS201
for h in hooks:
    h.remove()


# In[5]:


means = {
    k: torch.stack([torch.cat(acts[k][l]).mean(0) for l in range(n_layers)])
    for k in acts
}
diff = means["harmful"] - means["harmless"]  # [n_layers, d_model]
plt.plot(diff.norm(dim=-1).float().detach().cpu())
plt.xlabel("layer"); plt.ylabel("||mean diff||")
plt.show()


# In[6]:


LAYER = 14
refusal_dir = diff[LAYER] / diff[LAYER].norm()
torch.save(refusal_dir, "refusal_dir_llama2_7b_chat.pt")  # expect: FS305
del acts
gc.collect()


# In[7]:


def generate(prompts, max_new_tokens=64):
    toks = tokenizer(prompts, return_tensors="pt", padding=True).to("cuda")
    out = model.generate(**toks, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer.batch_decode(out[:, toks["input_ids"].shape[1]:], skip_special_tokens=True)


def ablate_dir_hook(module, args):
    (x,) = args
    d = refusal_dir.to(x.dtype)
    return (x - (x @ d)[..., None] * d,)


hooks = [layer.register_forward_pre_hook(ablate_dir_hook) for layer in model.model.layers]  # expect: FS301
for p, g in zip(harmful[:8], generate(harmful_prompts[:8])):
    print(p[:60], "->", g[:120].replace("\n", " "))


# In[8]:


# logit lens on the direction: which tokens does it promote?
with torch.no_grad():
    d = refusal_dir.to(model.lm_head.weight.dtype)
    top = (model.lm_head.weight @ d).topk(20).indices
print(tokenizer.convert_ids_to_tokens(top))


# In[9]:


# Weight orthogonalisation: bake the ablation into the weights instead of hooks.
with torch.no_grad():
    d = refusal_dir.to(model.dtype)
    model.model.embed_tokens.weight -= (model.model.embed_tokens.weight @ d)[:, None] * d
    for layer in model.model.layers:
        for W in (layer.self_attn.o_proj.weight, layer.mlp.down_proj.weight):
            W -= d[:, None] * (d @ W)[None, :]
print(generate(harmful_prompts[:4]))


# In[10]:


# Start from a clean model again for the harmless-side check.
del model
gc.collect()
torch.cuda.empty_cache()
model = AutoModelForCausalLM.from_pretrained(MODEL, device_map="cuda")  # expect: FS401, FS103
model.eval()
for p, g in zip(harmless[:8], generate(harmless_prompts[:8])):
    print(p[:60], "->", g[:120].replace("\n", " "))


# In[11]:


# Probe-style check: projection of each prompt's last-token activation onto the direction.
scores = {"harmful": [], "harmless": []}
with torch.no_grad():
    for k, prompts in [("harmful", harmful_prompts), ("harmless", harmless_prompts)]:
        toks = tokenizer(prompts[:64], return_tensors="pt", padding=True).to("cuda")
        hs = model(**toks, output_hidden_states=True).hidden_states[LAYER + 1][:, -1, :]
        scores[k] = (hs.float() @ refusal_dir.float()).cpu().tolist()
plt.hist(scores["harmful"], alpha=0.5, label="harmful")
plt.hist(scores["harmless"], alpha=0.5, label="harmless")
plt.legend(); plt.show()
