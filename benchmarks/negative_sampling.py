"""Negative sampling strategies for sampled-softmax training, on ml-100k-loo.

seqhybrid trained with 256 sampled negatives per batch drawn uniformly, by popularity
(count ** 0.75, log-Q corrected) or uniformly plus 16 hard text neighbours of each target;
fitted on train+valid with the default settings (early stopping on each user's last training
item, at most --epochs epochs) and tested once, full ranking. The full softmax, the default at
this catalogue size, is the reference.

    python benchmarks/negative_sampling.py --out benchmarks/results/negative_sampling.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.sequential import SequentialHybrid

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SETTINGS = {"full softmax": {"negatives": 0}, "uniform": {"negatives": 256, "negative_sampling": "uniform"},
            "popularity": {"negatives": 256, "negative_sampling": "popularity"},
            "hard": {"negatives": 256, "negative_sampling": "hard"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/negative_sampling.json"))
    args = parser.parse_args()
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    train_valid = split.train_valid()
    cases = EvalCases.build(train_valid, split.test)
    rows = []
    for name, params in SETTINGS.items():
        started = time.perf_counter()
        model = SequentialHybrid(max_epochs=args.epochs, **params).fit(train_valid, split.catalog)
        figures = evaluate(model, cases, (10,)).summary
        rows.append({"sampling": name, "test_NDCG@10": round(figures["NDCG@10"], 4),
                     "test_HR@10": round(figures["HR@10"], 4), "epochs": model.epochs_,
                     "fit_seconds": round(time.perf_counter() - started, 1)})
        print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "dataset": "ml-100k-loo",
                                    "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
