"""True/false statement datasets (cities, animals, companies...) as used in truth-probing work."""
import csv
import random
from dataclasses import dataclass
from typing import List


@dataclass
class Statement:
    text: str
    label: int
    topic: str


def load_statements(path, topic=None) -> List[Statement]:
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if topic is not None and row["topic"] != topic:
                continue
            rows.append(Statement(row["statement"], int(row["label"]), row["topic"]))
    return rows


def train_test_split(items, test_frac=0.2, seed=0):
    items = list(items)
    random.Random(seed).shuffle(items)
    n_test = int(len(items) * test_frac)
    return items[n_test:], items[:n_test]


def batched(items, batch_size):
    for i in range(0, len(items), batch_size):
        yield items[i : i + batch_size]
