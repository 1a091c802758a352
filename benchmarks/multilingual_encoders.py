"""Benchmark: the multilingual encoder (use-multilingual) against all-MiniLM-L6-v2 (English) in the
text-aware models, beside popularity and EASE, on each shared split; and each encoder's speed.

Same protocol as `llm4rec evaluate` (tuned on valid, refitted on train+valid, full ranking on
test), 95 % bootstrap intervals, and the paired difference of each multilingual row against the
same model with MiniLM. Writes benchmarks/results/multilingual_encoders.{json,md}.
Run with `python benchmarks/multilingual_encoders.py [--datasets a,b] [--models text,hybrid]`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.intervals import bootstrap_ci, paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.models.registry import MODELS
from llm4rec.text.encoder import TextEncoder
from llm4rec.text.templates import ItemTextTemplate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ENCODERS = ("all-MiniLM-L6-v2", "use-multilingual")
OUT = Path(__file__).resolve().parent / "results" / "multilingual_encoders.json"


def row(result) -> dict:
    per_case = result.test_evaluation.per_case
    return {"params": result.params, "NDCG@10": round(result.test["NDCG@10"], 4),
            "HR@10": round(result.test["HR@10"], 4),
            "ci95": {m: bootstrap_ci(per_case[m]) for m in ("NDCG@10", "HR@10")},
            "fit_seconds": round(result.fit_seconds, 1), "tuning_seconds": round(result.tuning_seconds, 1)}


def encoding_speed(texts: list[str], encoder: str) -> float:
    """Texts per second, uncached, on this machine."""
    model = TextEncoder(encoder, cache=False, show_progress=False)
    model.encode(texts[:16])  # load the weights outside the timing
    started = time.perf_counter()
    model.encode(texts)
    return round(len(texts) / (time.perf_counter() - started), 1)


def run(dataset: str, models: list[str]) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    texts = ItemTextTemplate().render(split.catalog, split.train.items)
    entry = {"items": split.train.n_items, "test_users": len(split.test), "rows": {}, "texts_per_second": {}}
    for encoder in ENCODERS:
        entry["texts_per_second"][encoder] = encoding_speed(texts, encoder)
    results = {}
    for name in ("pop", "ease"):
        results[name] = tune_and_test(name, split)
        entry["rows"][name] = row(results[name])
        print(dataset, name, entry["rows"][name]["NDCG@10"], flush=True)
    for name in models:
        for encoder in ENCODERS:
            grid = [params | {"text_model": encoder} for params in MODELS[name].search_space()]
            label = f"{name} ({encoder})"
            results[label] = tune_and_test(name, split, grid=grid)
            entry["rows"][label] = row(results[label])
            print(dataset, label, entry["rows"][label]["NDCG@10"], flush=True)
        multilingual, english = (results[f"{name} ({e})"].test_evaluation.per_case["NDCG@10"] for e in ENCODERS[::-1])
        entry["rows"][f"{name} ({ENCODERS[1]})"]["vs MiniLM"] = paired_difference_ci(multilingual, english)
        entry["rows"][f"{name} ({ENCODERS[1]})"]["vs ease"] = paired_difference_ci(
            multilingual, results["ease"].test_evaluation.per_case["NDCG@10"])
    return entry


def markdown(report: dict) -> str:
    lines = ["# Multilingual encoder against MiniLM", "", f"Command: `{report['command']}`", "",
             "| dataset | row | NDCG@10 [95 % CI] | HR@10 | vs MiniLM (paired) | texts/s |",
             "|---|---|---|---|---|---|"]
    for dataset, entry in report["datasets"].items():
        for label, r in entry["rows"].items():
            low, high = r["ci95"]["NDCG@10"]
            versus = r.get("vs MiniLM")
            paired = f"{versus['mean']:+.4f} [{versus['low']:+.4f}, {versus['high']:+.4f}]" if versus else ""
            speed = next((str(v) for e, v in entry["texts_per_second"].items() if f"({e})" in label), "")
            lines.append(f"| {dataset} | {label} | {r['NDCG@10']:.4f} [{low:.4f}, {high:.4f}] | {r['HR@10']:.4f} | "
                         f"{paired} | {speed} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="caixin-news-loo,ml-100k-loo,amazon-office-loo,ml-latest-small-loo")
    parser.add_argument("--models", default="text,hybrid")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    report = {"command": "python " + " ".join(sys.argv), "datasets": {}}
    for dataset in args.datasets.split(","):
        report["datasets"][dataset] = run(dataset, args.models.split(","))
        args.out.write_text(json.dumps(report, indent=2) + "\n")  # each dataset saved as it finishes
        args.out.with_suffix(".md").write_text(markdown(report))


if __name__ == "__main__":
    main()
