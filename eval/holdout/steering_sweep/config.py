"""Configuration for the steering-vector sweep."""
from dataclasses import dataclass, field
from typing import List


@dataclass
class SweepConfig:
    model_name: str = "meta-llama/Llama-2-7b-chat-hf"
    device: str = "cuda"
    dtype: str = "bfloat16"
    layer: int = 13
    alphas: List[float] = field(
        default_factory=lambda: [-8.0, -4.0, -2.0, 0.0, 2.0, 4.0, 8.0]
    )
    n_contrast_pairs: int = 128
    max_new_tokens: int = 64
    batch_size: int = 16
    out_dir: str = "results/steering"
    seed: int = 0
