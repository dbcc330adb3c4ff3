"""Entry point: python -m fs103_duplicate_model_load_project.run --texts data/wiki.txt"""

import argparse

from . import experiments


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", default="data/wiki.txt")
    args = parser.parse_args()
    with open(args.texts) as handle:
        texts = [line.strip() for line in handle if line.strip()]
    ppl = experiments.measure_perplexity(texts)
    features = experiments.collect_features(texts)
    answered = experiments.judge_answers(texts[:8], texts[8:16])
    refused = experiments.judge_refusals(texts[:8], texts[16:24])
    print(f"ppl={ppl:.2f} features={tuple(features.shape)} answered={answered:.2f} refused={refused:.2f}")


if __name__ == "__main__":
    main()
