"""Dataset reading."""

import json


def load_pairs(path):
    texts, labels = [], []
    with open(path) as handle:
        for line in handle:
            record = json.loads(line)
            texts.append(record["statement"])
            labels.append(float(record["label"]))
    return texts, labels
