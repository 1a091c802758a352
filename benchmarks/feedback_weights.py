"""Do mined confidence weights beat 0/1 interactions? Ratings as the signal.

The training part's ratings become weights (`llm4rec.feedback.mine_weights`: rating / top of
the scale, one event per pair), then each model is tuned, refitted and tested with
`weighted=False` and `weighted=True` under the shared protocol.

    python benchmarks/feedback_weights.py --out benchmarks/results/feedback_weights.json
    python benchmarks/feedback_weights.py --models sasrec,seqhybrid --datasets ml-100k-loo \
        --out benchmarks/results/feedback_weights_sequential.json
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.feedback.weights import mine_weights
from llm4rec.models.registry import model_class

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("ml-100k-loo", "ml-latest-small-loo")
MODELS = ("ease", "itemknn", "als")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/feedback_weights.json"))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    rows = []
    for dataset in args.datasets.split(","):
        split, _ = read_split_dir(SHARED / dataset)
        weighted_split = replace(split, train=mine_weights(split.train)[0], valid=mine_weights(split.valid)[0])
        for name in args.models.split(","):
            for weighted in (False, True):
                grid = [params | {"weighted": weighted} for params in model_class(name).search_space()]
                result = tune_and_test(name, weighted_split, grid=grid)
                rows.append({"dataset": dataset, "model": name, "weighted": weighted,
                             "test_NDCG@10": round(result.test["NDCG@10"], 4),
                             "test_HR@10": round(result.test["HR@10"], 4), "params": result.params})
                print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
