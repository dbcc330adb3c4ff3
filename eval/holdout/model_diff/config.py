from dataclasses import dataclass


@dataclass(frozen=True)
class DiffConfig:
    base_model: str = "meta-llama/Llama-2-7b-hf"
    chat_model: str = "meta-llama/Llama-2-7b-chat-hf"
    device: str = "cuda"
    prompts_path: str = "data/diff_prompts.txt"
    max_prompts: int = 256
    batch_size: int = 8
    out_dir: str = "results/model_diff"
