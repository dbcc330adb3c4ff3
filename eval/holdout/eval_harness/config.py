from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class EvalConfig:
    model: str = "meta-llama/Meta-Llama-3-8B"
    tasks: List[str] = field(default_factory=lambda: ["hellaswag", "truthfulqa_mc1", "gsm8k"])
    limit: Optional[int] = None
    batch_size: int = 8
    max_new_tokens: int = 256
    reference: Optional[str] = None
    output_dir: str = "results/eval"
    seed: int = 1234
