"""BPR with each negative-sampling strategy on ml-100k-loo, against implicit's BPR.

`bpr-sampled` (torch BPR over llm4rec's samplers) is tuned on valid and refitted on
train+valid with uniform, popularity (count ** 0.75) and hard (text neighbours of the
positive, plus one drawn negative) sampling, then tested once, full ranking.

    python benchmarks/bpr_negative_sampling.py --out benchmarks/results/bpr_negative_sampling.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.models.registry import model_class

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
STRATEGIES = ("uniform", "popularity", "hard")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/bpr_negative_sampling.json"))
    args = parser.parse_args()
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    rows = []
    for strategy in STRATEGIES:
        grid = [params | {"negative_sampling": strategy} for params in model_class("bpr-sampled").search_space()]
        result = tune_and_test("bpr-sampled", split, grid=grid)
        rows.append({"sampling": strategy, "test_NDCG@10": round(result.test["NDCG@10"], 4),
                     "test_HR@10": round(result.test["HR@10"], 4), "valid_NDCG@10": round(result.valid["NDCG@10"], 4),
                     "params": result.params, "fit_seconds": round(result.fit_seconds, 1)})
        print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "dataset": "ml-100k-loo",
                                    "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
