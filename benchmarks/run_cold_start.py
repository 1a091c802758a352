"""Benchmark: item cold start. 20 % of items (seeded) lose every training interaction; HR@10
and NDCG@10 on the test cases whose target is one of them, ranked among every item and among
the cold items only. Run with `make bench-cold`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.cold_start import among_cold_items, item_cold_start, random_floor
from llm4rec.evaluation.ranking import evaluate
from llm4rec.models.registry import create_model

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = ("pop", "ease", "als", "text", "hybrid", "seqhybrid")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/cold_start.json"))
    args = parser.parse_args()
    report = {}
    for dataset in args.datasets.split(","):
        split, _ = read_split_dir(SHARED / dataset)
        reduced, cases, cold = item_cold_start(split)
        rankings = {"every item": cases, "cold items": among_cold_items(cases, cold)}
        rows = {"random (expected)": {ranking: random_floor(c) for ranking, c in rankings.items()}}
        for name in MODELS:
            # Default settings: the cold items' valid rows are gone, so there is nothing fair to tune on.
            model = create_model(name).fit(reduced.train_valid(), reduced.catalog)
            rows[name] = {}
            for ranking, ranked_cases in rankings.items():
                summary = evaluate(model, ranked_cases).summary
                rows[name][ranking] = {m: summary[m] for m in ("HR@10", "NDCG@10")}
                print(f"{dataset} {name}, among {ranking}: HR@10 {summary['HR@10']:.4f} "
                      f"NDCG@10 {summary['NDCG@10']:.4f}", flush=True)
        report[dataset] = {"cold_items": len(cold), "test_cases": len(cases), "models": rows}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
