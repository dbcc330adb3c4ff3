"""Model and tokenizer loading for the study."""

from transformers import AutoModelForCausalLM, AutoTokenizer

from . import config


def load_model(name=config.MODEL_NAME):
    # Reached with config.MODEL_NAME and config.STEER_MODEL, both 7B; no torch_dtype and no cast
    # on any caller's path, so both arrive here in fp32 (~28 GB instead of ~14 GB).
    model = AutoModelForCausalLM.from_pretrained(name)  # expect: FS401
    model.to(config.DEVICE)
    model.eval()
    return model


def load_tokenizer(name=config.MODEL_NAME):
    tokenizer = AutoTokenizer.from_pretrained(name)
    tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer
