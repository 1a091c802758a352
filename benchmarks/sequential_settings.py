"""Benchmark: which SASRec settings a search space on valid should hold.

SASRec's one setting (64 wide, 2 layers, dropout 0.3, the last 50 items, learning rate 5e-3)
was chosen on ml-100k. Each candidate here is fitted on a split's train part (early stopping on
each history's last item, as `fit` does) and scored on valid, full ranking; test is never read.
A setting belongs in the search space if it wins on valid somewhere by more than the noise.

Writes benchmarks/results/sequential_settings.{json,md}. Run with
`python benchmarks/sequential_settings.py --datasets ml-100k-loo,amazon-office-loo,caixin-news-loo`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.intervals import paired_difference_ci
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.sequential import SequentialRecommender

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"
CANDIDATES = {
    "default": {},
    "dropout 0.5": {"dropout": 0.5},
    "width 128": {"hidden": 128},
    "last 200 items": {"max_len": 200},
}


def run(dataset: str, names: list[str]) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    cases = EvalCases.build(split.train, split.valid)
    rows, per_case = {}, {}
    for name in names:
        model = SequentialRecommender(**CANDIDATES[name]).fit(split.train, split.catalog)
        per_case[name] = evaluate(model, cases, ks=(10,)).per_case["NDCG@10"]
        rows[name] = {"valid_NDCG@10": float(per_case[name].mean()), "epochs": model.fit_log_["epochs"],
                      "seconds": round(model.fit_log_["seconds"], 1)}
        if name != "default":
            rows[name]["minus_default"] = paired_difference_ci(per_case[name], per_case["default"])
        print(dataset, name, rows[name], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo,caixin-news-loo")
    parser.add_argument("--settings", default=",".join(CANDIDATES))
    args = parser.parse_args()
    path = RESULTS / "sequential_settings.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for dataset in args.datasets.split(","):
        results[dataset] = run(dataset, args.settings.split(","))
        path.write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# SASRec settings on valid", "",
             f"`python benchmarks/sequential_settings.py --datasets {args.datasets}`: fitted on train (early "
             "stopping as in fit), valid NDCG@10, full ranking; paired difference to the default with a 95 % "
             "bootstrap interval. Test not read.", "",
             "| dataset | setting | valid NDCG@10 | − default [95 % CI] | epochs kept | seconds |",
             "|---|---|---|---|---|---|"]
    for dataset, rows in results.items():
        for name, row in rows.items():
            difference = row.get("minus_default")
            shown = (f"{difference['mean']:+.4f} [{difference['low']:+.4f}, {difference['high']:+.4f}]"
                     if difference else "")
            lines.append(f"| {dataset} | {name} | {row['valid_NDCG@10']:.4f} | {shown} | {row['epochs']} | "
                         f"{row['seconds']} |")
    (RESULTS / "sequential_settings.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
