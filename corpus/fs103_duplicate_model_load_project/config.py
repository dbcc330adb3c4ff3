"""Constants of the study."""

MODEL_NAME = "meta-llama/Llama-2-13b-hf"
JUDGE_NAME = "meta-llama/Llama-2-13b-chat-hf"
PROBE_LAYER = 20
JUDGE_TEMPLATE = "Question: {q}\nAnswer: {a}\nIs the answer correct? Reply yes or no.\n"
