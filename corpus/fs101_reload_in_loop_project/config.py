"""Experiment constants. The checkpoint reaches the loader as a default argument in models.py."""

BASE_CHECKPOINT = "meta-llama/Llama-2-7b-chat-hf"
STEER_LAYER = 13
ALPHAS = (0.0, 2.0, 4.0, 8.0)

# Other chat models the same direction is tried on; none of them is BASE_CHECKPOINT.
MODEL_ZOO = ("mistralai/Mistral-7B-Instruct-v0.2", "Qwen/Qwen2.5-7B-Instruct")

REFUSAL_MARKERS = ("I cannot", "I can't", "As an AI", "I'm sorry")
