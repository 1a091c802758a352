"""Benchmark: when should SASRec's early stopping stop?

SASRec early-stops on each training history's held-out last item. With patience 5 epochs it
stopped ml-latest-small at epoch 2, no better than popularity (610 users: 5 optimizer steps an
epoch, 9,724 items), while ml-100k, Amazon Office and Caixin learn within a few epochs. This
trains SASRec on each split's train part for `--epochs` epochs without stopping and records,
per epoch, the held-out NDCG@10 early stopping reads and the valid NDCG@10 (full ranking, the
shared evaluation); then replays candidate stopping rules on the held-out curve and reports
the valid NDCG@10 at the epoch each rule keeps, and the epochs it trains. Nothing reads test.

Writes benchmarks/results/sequential_stopping.{json,md}. Run with
`python benchmarks/sequential_stopping.py --datasets ml-100k-loo,ml-latest-small-loo,amazon-office-loo,caixin-news-loo`.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.sequential import SequentialRecommender

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


class TracedSASRec(SequentialRecommender):
    """SASRec that also scores valid each epoch (measurement only: fit never sees valid)."""

    def __init__(self, valid_cases: EvalCases, **settings) -> None:
        super().__init__(**settings)
        self.valid_cases, self.valid_curve = valid_cases, []

    def _holdout_ndcg(self, prefixes, histories, users) -> float:
        score = super()._holdout_ndcg(prefixes, histories, users)
        self.valid_curve.append(float(evaluate(self, self.valid_cases, ks=(10,)).summary["NDCG@10"]))
        return score


def replay(curve: list[float], patience: int, beaten: float | None = None, gated: int = 0) -> tuple[int, int]:
    """(0-based epoch kept, epochs trained) under a rule: stop after `patience` epochs without
    gain, or, while the best is no better than `beaten` (when given), after `gated` epochs."""
    best, kept, stale = -1.0, 0, 0
    for epoch, score in enumerate(curve):
        if score > best:
            best, kept, stale = score, epoch, 0
            continue
        stale += 1
        if stale >= (gated if beaten is not None and best <= beaten else patience):
            return kept, epoch + 1
    return kept, len(curve)


def rules(steps_per_epoch: int) -> dict[str, dict]:
    """Candidate rules as `replay` settings."""
    out = {f"patience {p}": {"patience": p} for p in (5, 10, 15, 20)}
    for steps in (50, 100):
        out[f"patience max(5, {steps} steps)"] = {"patience": max(5, math.ceil(steps / steps_per_epoch))}
    for gated in (15, 20, 30):
        out[f"patience 5, {gated} until it beats popularity"] = {"patience": 5, "gated": gated, "margin": 1.0}
    for margin in (1.1, 1.25, 1.5):
        out[f"patience 5, 20 until it beats {margin}x popularity"] = {"patience": 5, "gated": 20, "margin": margin}
    return out


def run(dataset: str, epochs: int, seed: int) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    model = TracedSASRec(EvalCases.build(split.train, split.valid), max_epochs=epochs, patience=epochs,
                         patience_below_popularity=epochs, seed=seed)
    model.fit(split.train, split.catalog)
    log = model.fit_log_
    return {"seed": seed, "steps_per_epoch": log["steps_per_epoch"], "seconds": log["seconds"],
            "popularity_holdout_ndcg10": log["popularity_holdout_ndcg10"], "holdout_curve": log["holdout_curve"],
            "valid_curve": model.valid_curve}


def replayed(run: dict) -> dict[str, dict]:
    """Each rule's kept epoch, epochs trained and valid NDCG@10 on one recorded run."""
    holdout, valid, popularity = run["holdout_curve"], run["valid_curve"], run["popularity_holdout_ndcg10"]
    out = {}
    for name, rule in rules(run["steps_per_epoch"]).items():
        beaten = rule["margin"] * popularity if "gated" in rule else None
        kept, trained = replay(holdout, rule["patience"], beaten, rule.get("gated", 0))
        out[name] = {"kept_epoch": kept + 1, "epochs_trained": trained, "valid_NDCG@10": valid[kept]}
    best = int(np.argmax(valid))
    out["best valid epoch (oracle)"] = {"kept_epoch": best + 1, "epochs_trained": len(valid),
                                        "valid_NDCG@10": valid[best]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="ml-100k-loo,ml-latest-small-loo,amazon-office-loo,caixin-news-loo")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = RESULTS / "sequential_stopping.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    for dataset in args.datasets.split(","):
        results[f"{dataset} seed {args.seed}"] = run(dataset, args.epochs, args.seed)
        path.write_text(json.dumps(results, indent=2) + "\n")  # after each set: a long run keeps what it did
        print(dataset, replayed(results[f"{dataset} seed {args.seed}"]), flush=True)
    write_table(results)


def write_table(results: dict) -> None:
    replays = {name: replayed(run) for name, run in results.items()}
    lines = ["# When SASRec's early stopping should stop", "",
             "`python benchmarks/sequential_stopping.py` (see its docstring): SASRec trained on train for a fixed "
             "number of epochs; each rule replayed on the held-out curve; valid NDCG@10 at the epoch it keeps "
             "(epochs kept / trained). No test data read.", "",
             "| rule | " + " | ".join(results) + " |", "|---|" + "---|" * len(results)]
    for rule in next(iter(replays.values())):
        cells = [f"{r[rule]['valid_NDCG@10']:.4f} ({r[rule]['kept_epoch']}/{r[rule]['epochs_trained']})"
                 for r in replays.values()]
        lines.append(f"| {rule} | " + " | ".join(cells) + " |")
    (RESULTS / "sequential_stopping.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
