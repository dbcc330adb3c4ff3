"""Activation patching on the IOI task in GPT-2 small (residual stream, attention heads, MLPs).

Follows the usual TransformerLens workflow: cache a clean run, patch clean activations into a
corrupted run one location at a time, and measure how much of the logit difference comes back.
"""
import os
from functools import partial

import einops
import torch
from transformer_lens import HookedTransformer, utils

torch.set_grad_enabled(False)

device = "cuda"
OUT = "results/ioi"
os.makedirs(OUT, exist_ok=True)

model = HookedTransformer.from_pretrained(
    "gpt2-small",
    center_unembed=True,
    center_writing_weights=True,
    fold_ln=True,
    device=device,
)

prompt_format = [
    "When John and Mary went to the shops,{} gave the bag to",
    "When Tom and James went to the park,{} gave the ball to",
    "When Dan and Sid went to the shops,{} gave an apple to",
    "After Martin and Amy went to the park,{} gave a drink to",
]
name_pairs = [
    (" Mary", " John"),
    (" Tom", " James"),
    (" Dan", " Sid"),
    (" Martin", " Amy"),
]

prompts = []
answers = []
for i, fmt in enumerate(prompt_format):
    for j in range(2):
        answers.append((name_pairs[i][j], name_pairs[i][1 - j]))
        prompts.append(fmt.format(name_pairs[i][1 - j]))

clean_tokens = model.to_tokens(prompts)
# Corrupt by swapping each prompt with its partner (same template, other subject).
corrupted_tokens = clean_tokens[[(i + 1 if i % 2 == 0 else i - 1) for i in range(len(prompts))]]
answer_tokens = torch.tensor(
    [[model.to_single_token(a) for a in pair] for pair in answers], device=device
)


def logit_diff(logits, answer_tokens=answer_tokens, per_prompt=False):
    final = logits[:, -1, :]
    answer_logits = final.gather(dim=-1, index=answer_tokens)
    diffs = answer_logits[:, 0] - answer_logits[:, 1]
    return diffs if per_prompt else diffs.mean()


clean_logits, clean_cache = model.run_with_cache(clean_tokens)
corrupted_logits = model(corrupted_tokens)
CLEAN_LD = logit_diff(clean_logits).item()
CORRUPT_LD = logit_diff(corrupted_logits).item()
print(f"clean logit diff {CLEAN_LD:.3f}, corrupted {CORRUPT_LD:.3f}")


def normalized(patched_logits):
    return (logit_diff(patched_logits) - CORRUPT_LD) / (CLEAN_LD - CORRUPT_LD)


# In[ ]: residual stream, every layer x position

def patch_resid(resid, hook, pos, cache):
    resid[:, pos, :] = cache[hook.name][:, pos, :]
    return resid


n_layers, seq_len = model.cfg.n_layers, clean_tokens.shape[1]
resid_results = torch.zeros(n_layers, seq_len, device=device)
for layer in range(n_layers):
    for pos in range(seq_len):
        hook_fn = partial(patch_resid, pos=pos, cache=clean_cache)
        patched = model.run_with_hooks(
            corrupted_tokens,
            fwd_hooks=[(utils.get_act_name("resid_pre", layer), hook_fn)],
        )
        resid_results[layer, pos] = normalized(patched)

torch.save(resid_results, f"{OUT}/resid_patching.pt")  # expect: FS305


# In[ ]: attention heads (output of each head, all positions)

def patch_head_z(z, hook, head, cache):
    z[:, :, head, :] = cache[hook.name][:, :, head, :]
    return z


head_results = torch.zeros(n_layers, model.cfg.n_heads)
for layer in range(n_layers):
    for head in range(model.cfg.n_heads):
        patched = model.run_with_hooks(
            corrupted_tokens,
            fwd_hooks=[(utils.get_act_name("z", layer), partial(patch_head_z, head=head, cache=clean_cache))],
        )
        head_results[layer, head] = normalized(patched).item()

torch.save(head_results, f"{OUT}/head_patching.pt")

# Name-mover heads: keep their per-prompt output at the final position for the plots.
NAME_MOVERS = [(9, 6), (9, 9), (10, 0)]
name_mover_z = []


def store_z(z, hook, head):
    name_mover_z.append(z[:, -1, head, :])  # allow: FS304


for layer, head in NAME_MOVERS:
    model.run_with_hooks(
        clean_tokens,
        fwd_hooks=[(utils.get_act_name("z", layer), partial(store_z, head=head))],
    )
name_mover_out = torch.stack(name_mover_z)
W_O = torch.stack([model.W_O[l, h] for l, h in NAME_MOVERS])
name_mover_resid = einops.einsum(name_mover_out, W_O, "k b d_head, k d_head d_model -> k b d_model")
unembed_dirs = model.tokens_to_residual_directions(answer_tokens[:, 0])
projections = einops.einsum(name_mover_resid, unembed_dirs, "k b d, b d -> k b").cpu()
torch.save(projections, f"{OUT}/name_mover_projections.pt")


# In[ ]: knock out each MLP by zeroing its output weights

mlp_knockout = []
for layer in range(n_layers):
    ko_model = HookedTransformer.from_pretrained("gpt2-small", fold_ln=True, device=device)  # expect: FS101  # allow: FS103
    ko_model.blocks[layer].mlp.W_out.zero_()
    ko_model.blocks[layer].mlp.b_out.zero_()
    mlp_knockout.append(logit_diff(ko_model(clean_tokens)).item())
    del ko_model

torch.save(torch.tensor(mlp_knockout), f"{OUT}/mlp_knockout.pt")

# In[ ]: attention pattern of the strongest name mover, for the figure
_, cache = model.run_with_cache(clean_tokens[:1], names_filter=utils.get_act_name("pattern", 9))
pattern = cache["pattern", 9][0, 9].cpu()
torch.save(pattern, f"{OUT}/nm_9_9_pattern.pt")
