"""Study configuration. MODEL_NAME can be overridden from the environment; its default is a 7B
checkpoint, which is what the analysis reasons with."""

import os

MODEL_NAME = os.environ.get("PROBE_MODEL", "meta-llama/Llama-2-7b-hf")
STEER_MODEL = "meta-llama/Llama-2-7b-chat-hf"
DEVICE = "cuda"

PROBE_LAYERS = (8, 12, 16, 20)
STEER_LAYER = 14
ALPHAS = (1.0, 2.0, 4.0, 8.0)

BATCH_SIZE = 16
PROBE_EPOCHS = 200
PROBE_LR = 1e-3

OUT_DIR = "results"
DATASETS = {"truthfulqa": "data/truthfulqa_pairs.jsonl", "cities": "data/cities.jsonl"}
