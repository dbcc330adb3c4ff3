"""Shared settings for collect_acts.py and train_sae.py (run both from this directory)."""
from dataclasses import asdict, dataclass
import json


@dataclass
class SAEConfig:
    model_name: str = "google/gemma-2b"
    model_dtype: str = "bfloat16"
    layer: int = 6
    d_model: int = 2048
    expansion: int = 8
    dataset: str = "monology/pile-uncopyrighted"
    context_len: int = 128
    tokens_per_shard: int = 2**20
    n_shards: int = 16
    model_batch_size: int = 32
    shard_dir: str = "/scratch/sae/gemma2b_l6"
    # training
    lr: float = 3e-4
    l1_coeff: float = 5e-3
    batch_size: int = 4096
    epochs: int = 1
    out_dir: str = "checkpoints/sae_gemma2b_l6"
    device: str = "cuda"

    @property
    def d_sae(self):
        return self.d_model * self.expansion

    def save(self, path):
        with open(path, "w") as f:
            json.dump(asdict(self), f, indent=2)
