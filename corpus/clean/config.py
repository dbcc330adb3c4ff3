"""Configuration of the study."""

import torch

MODEL_NAME = "meta-llama/Llama-2-7b-hf"
DTYPE = torch.bfloat16
DEVICE = "cuda"

LAYERS = (8, 12, 16)
STEER_LAYER = 14
ALPHAS = (0.0, 2.0, 4.0)

BATCH_SIZE = 16
PROBE_EPOCHS = 200
TRAIN_FRACTION = 0.8

CACHE_DIR = "cache"
OUT_DIR = "results"
DATASETS = {"cities": "data/cities.jsonl", "truthfulqa": "data/truthfulqa_pairs.jsonl"}
