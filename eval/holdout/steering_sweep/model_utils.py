"""Model and tokenizer loading."""
import logging

from transformers import AutoModelForCausalLM, AutoTokenizer

logger = logging.getLogger(__name__)


def load_tokenizer(name):
    tok = AutoTokenizer.from_pretrained(name)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    # Left padding so that position -1 is the last real token of every prompt.
    tok.padding_side = "left"
    return tok


def load_model(name, device="cuda", dtype=None):
    """Load a causal LM for inference.

    dtype=None keeps whatever precision the checkpoint was saved in.
    """
    logger.info("loading %s (dtype=%s)", name, dtype)
    model = AutoModelForCausalLM.from_pretrained(name, torch_dtype=dtype)  # expect: FS401
    model.to(device)
    model.eval()
    return model
