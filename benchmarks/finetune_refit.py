"""Benchmark: how the train+valid refit of the text model's in-fit fine-tune should stop.

The text model's fine-tune early-stops on each fit history's last item. On the refit (train+
valid) that holds out exactly the valid items, the newest evidence of every user; the other
choice, as the sequential models do, is to train on every item for the epochs early stopping
kept on train. For each seed: one early-stopped fine-tune on train (its kept epochs), then both
refits, each scored by the text model (half-life 1) on test, full ranking, paired per user.

Writes benchmarks/results/finetune_refit.{json,md}. Run with
`python benchmarks/finetune_refit.py --datasets ml-100k-loo,amazon-office-loo --seeds 3`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.data.splits import leave_one_out
from llm4rec.evaluation.intervals import paired_difference_ci
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.finetuning import FinetuneConfig, finetune
from llm4rec.models.item_features import text_vectors
from llm4rec.models.text_content import TextContent

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def early_stopped(data, catalog, seed: int, folder: Path):
    """Fine-tune on `data`, early-stopping on each long history's last item (as fit does)."""
    split = leave_one_out(data)
    return finetune(split.train.concat(split.valid), split.test, catalog, folder, FinetuneConfig(seed=seed))


def test_ndcg(folder: Path, split) -> np.ndarray:
    """Per-case test NDCG@10 of the text model over the encoder in `folder`."""
    train_valid = split.train_valid()
    model = TextContent.from_vectors(text_vectors(split.catalog, train_valid.items, str(folder), None, "bench"))
    return evaluate(model, EvalCases.build(train_valid, split.test), ks=(10,)).per_case["NDCG@10"]


def run(dataset: str, seeds: int) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    rows = []
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            kept = early_stopped(split.train, split.catalog, seed, scratch / "train").best_epoch + 1
            again = early_stopped(split.train_valid(), split.catalog, seed, scratch / "again")
            fixed = finetune(split.train_valid(), None, split.catalog, scratch / "fixed",
                             FinetuneConfig(seed=seed, epochs=kept, early_stopping=False))
            stopped, every = test_ndcg(scratch / "again", split), test_ndcg(scratch / "fixed", split)
        rows.append({"seed": seed, "epochs_kept_on_train": kept,
                     "early_stopped_refit": {"epochs": again.best_epoch + 1, "NDCG@10": float(stopped.mean()),
                                             "seconds": again.seconds},
                     "fixed_epochs_refit": {"epochs": kept, "NDCG@10": float(every.mean()), "seconds": fixed.seconds},
                     "difference": paired_difference_ci(every, stopped)})
        print(dataset, rows[-1], flush=True)
    means = {k: float(np.mean([r[k]["NDCG@10"] for r in rows])) for k in ("early_stopped_refit", "fixed_epochs_refit")}
    return {"seeds": rows, "mean_NDCG@10": means}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    results = {dataset: run(dataset, args.seeds) for dataset in args.datasets.split(",")}
    (RESULTS / "finetune_refit.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# The refit of the in-fit fine-tune: early-stopped again, or the epochs kept on train", "",
             f"`python benchmarks/finetune_refit.py --datasets {args.datasets} --seeds {args.seeds}`; text model "
             "(half-life 1), test NDCG@10, full ranking; paired difference fixed − early-stopped.", "",
             "| dataset | seed | epochs kept on train | early-stopped refit (epochs) | fixed-epochs refit | "
             "difference [95 % CI] |", "|---|---|---|---|---|---|"]
    for dataset, result in results.items():
        for r in result["seeds"]:
            low, high = r["difference"]["low"], r["difference"]["high"]
            lines.append(f"| {dataset} | {r['seed']} | {r['epochs_kept_on_train']} | "
                         f"{r['early_stopped_refit']['NDCG@10']:.4f} ({r['early_stopped_refit']['epochs']}) | "
                         f"{r['fixed_epochs_refit']['NDCG@10']:.4f} | {r['difference']['mean']:+.4f} "
                         f"[{low:+.4f}, {high:+.4f}] |")
        m = result["mean_NDCG@10"]
        lines.append(f"| {dataset} | mean | | {m['early_stopped_refit']:.4f} | {m['fixed_epochs_refit']:.4f} | |")
    (RESULTS / "finetune_refit.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
