"""Benchmark: the hidden width of the `head` fine-tune (384 -> hidden -> 384 over frozen vectors).

The head runs over every catalogue item at each step (full softmax), so its width sets most of a
fine-tune's cost: at 1024 it is about two thirds of an ml-100k step. For each dataset, seed and
width: the fine-tune inside fit on train (early stopping on each train history's last item, as
`fit` does), then the text model (half-life 1) over the tuned encoder scored on valid, full
ranking. Valid only: the width is a default chosen here, so test stays untouched.

Writes benchmarks/results/finetune_head_width.{json,md}. Run with
`python benchmarks/finetune_head_width.py --datasets ml-100k-loo --seeds 2`.
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
from llm4rec.text.languages import detect, suitable_encoder
from llm4rec.text.templates import ItemTextTemplate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def valid_ndcg(split, width: int, seed: int, encoder: str | None, folder: Path) -> tuple[np.ndarray, dict]:
    """Per-case valid NDCG@10 of the text model over a head of `width` fine-tuned on train."""
    held = leave_one_out(split.train)
    result = finetune(held.train.concat(held.valid), held.test, split.catalog, folder,
                      FinetuneConfig(seed=seed, hidden=width, base_model=encoder))
    model = TextContent.from_vectors(text_vectors(split.catalog, split.train.items, str(folder), None, "bench"))
    per_case = evaluate(model, EvalCases.build(split.train, split.valid), ks=(10,)).per_case["NDCG@10"]
    return per_case, {"epochs": result.best_epoch + 1, "seconds": result.seconds}


def run(dataset: str, widths: list[int], seeds: int) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    texts = ItemTextTemplate(None).render(split.catalog, split.train.items)
    encoder = suitable_encoder(detect(texts).language)  # what the text model picks by default
    rows = []
    for seed in range(seeds):
        per_width = {}
        for width in widths:
            with tempfile.TemporaryDirectory() as scratch:
                per_width[width] = valid_ndcg(split, width, seed, encoder, Path(scratch))
        base = per_width[widths[0]][0]
        for width, (per_case, info) in per_width.items():
            row = {"seed": seed, "width": width, "valid NDCG@10": float(per_case.mean())} | info
            if width != widths[0]:
                row[f"minus {widths[0]}"] = paired_difference_ci(per_case, base)
            rows.append(row)
            print(dataset, row, flush=True)
    return {"encoder": encoder or "all-MiniLM-L6-v2", "rows": rows}


def markdown(results: dict) -> str:
    lines = ["| dataset | seed | width | valid NDCG@10 | paired difference to the first width | epochs | seconds |",
             "|---|---|---|---|---|---|---|"]
    for dataset, found in results.items():
        for row in found["rows"]:
            diff = next((v for k, v in row.items() if k.startswith("minus")), None)
            shown = "" if diff is None else f"{diff['mean']:+.4f} [{diff['low']:+.4f}, {diff['high']:+.4f}]"
            lines.append(f"| {dataset} | {row['seed']} | {row['width']} | {row['valid NDCG@10']:.4f} | {shown} | "
                         f"{row['epochs']} | {row['seconds']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo,caixin-news-loo")
    parser.add_argument("--widths", default="1024,512,256")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    results = {d: run(d, widths, args.seeds) for d in args.datasets.split(",")}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "finetune_head_width.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "finetune_head_width.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
