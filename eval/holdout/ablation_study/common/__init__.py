from .loader import load_model_and_tokenizer
from .metrics import perplexity
from .utils import save_json, set_seed, snapshot
