"""Analysis helpers called only from notebook.py, after it has turned autograd off."""


def head_attribution(model, tokens, answer_ids):
    _, cache = model.run_with_cache(tokens, names_filter=lambda name: name.endswith("hook_z"))
    per_head = cache.stack_head_results(layer=-1, pos_slice=-1)
    directions = model.tokens_to_residual_directions(answer_ids)
    return (per_head * directions).sum(-1).mean(-1).tolist()


def loss_on(model, tokens):
    return model(tokens, return_type="loss").item()
