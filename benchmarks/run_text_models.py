"""Benchmark: text-aware models against EASE and ID-only SASRec, with an ablation.

For each shared split: EASE, SASRec (ID only), text only, hybrid blend, sequential hybrid
without and with side features; 95 % bootstrap intervals and paired differences. Writes
benchmarks/results/text_<dataset>.{json,md}. Run with `make bench-text`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.intervals import bootstrap_ci, paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ABLATION = (
    ("ease", "ease", None),
    ("sasrec (ID only)", "sasrec", None),
    ("text only", "text", None),
    ("hybrid blend", "hybrid", None),
    ("seqhybrid, no side features", "seqhybrid", [{"side_features": False}]),
    ("seqhybrid", "seqhybrid", None),
)


def run(dataset: str, out: Path) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    rows, results = {}, {}
    for label, name, grid in ABLATION:
        started = time.perf_counter()
        result = tune_and_test(name, split, grid=grid, progress=True)
        results[label] = result
        per_case = result.test_evaluation.per_case
        rows[label] = {
            "model": name, "params": result.params, "fit_seconds": round(result.fit_seconds, 1),
            "seconds_with_tuning": round(time.perf_counter() - started, 1),
            "valid": {m: result.valid.get(m) for m in ("HR@10", "NDCG@10")},
            "test": {m: result.test[m] for m in ("HR@10", "NDCG@10", "MRR@10", "HR@20", "NDCG@20")},
            "ci95": {m: bootstrap_ci(per_case[m]) for m in ("HR@10", "NDCG@10")},
        }
        print(f"{dataset} {label}: test NDCG@10 {result.test['NDCG@10']:.4f} HR@10 {result.test['HR@10']:.4f}",
              flush=True)
    ease = results["ease"].test_evaluation.per_case["NDCG@10"]
    blend = results["hybrid blend"].test_evaluation.per_case["NDCG@10"]
    for label, result in results.items():
        mine = result.test_evaluation.per_case["NDCG@10"]
        rows[label]["NDCG@10_vs_ease"] = paired_difference_ci(mine, ease)
        rows[label]["NDCG@10_vs_blend"] = paired_difference_ci(mine, blend)
    out.write_text(json.dumps(rows, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(dataset, rows))
    return rows


def markdown(dataset: str, rows: dict) -> str:
    lines = [f"# Text-aware ablation on {dataset}", "",
             "Command: `python benchmarks/run_text_models.py --datasets " + dataset + "`", "",
             "| model | NDCG@10 [95 % CI] | HR@10 [95 % CI] | vs EASE (NDCG@10) | vs blend | fit s |",
             "|---|---|---|---|---|---|"]
    for label, r in rows.items():
        ci_n, ci_h = r["ci95"]["NDCG@10"], r["ci95"]["HR@10"]
        versus = [f"{d['mean']:+.4f}{'' if d['significant'] else ' (noise)'}"
                  for d in (r["NDCG@10_vs_ease"], r["NDCG@10_vs_blend"])]
        lines.append(f"| {label} | {r['test']['NDCG@10']:.4f} [{ci_n[0]:.4f}, {ci_n[1]:.4f}] | "
                     f"{r['test']['HR@10']:.4f} [{ci_h[0]:.4f}, {ci_h[1]:.4f}] | {versus[0]} | {versus[1]} | "
                     f"{r['fit_seconds']} |")
    lines += ["", "'(noise)': the paired 95 % interval of the difference includes zero."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default="ml-100k-loo,ml-latest-small-loo,amazon-office-loo")
    parser.add_argument("--out-dir", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets.split(","):
        run(dataset, args.out_dir / f"text_{dataset}.json")


if __name__ == "__main__":
    main()
