"""Benchmark: `batch-recommend` over a live state (feedback or items added since the bundle), in
batches of users through the service's read path against one request per user as before.

EASE on ml-100k-loo's train, one item added live; one thread. Writes
benchmarks/results/live_batch.json. Run with `python benchmarks/live_batch.py`.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import torch

from llm4rec.data.split_dir import read_split_dir
from llm4rec.models.ease import EASE
from llm4rec.serving.bundle import load_bundle, save_bundle
from llm4rec.serving.feedback_store import NewItem
from llm4rec.serving.reads import ServedModel

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    torch.set_num_threads(1)
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    with tempfile.TemporaryDirectory() as scratch:
        save_bundle(EASE(l2=150.0).fit(split.train), split.train, split.catalog, Path(scratch) / "bundle")
        bundle = load_bundle(Path(scratch) / "bundle")
    row = split.catalog.raw.iloc[0]
    added = NewItem(item_id="new-1", fields={k: v for k, v in row.items() if isinstance(v, str) and v})
    served = ServedModel.build(bundle, new_items=[added])
    started = time.perf_counter()
    table = served.recommend_everyone(10)
    batched = time.perf_counter() - started
    started = time.perf_counter()
    for user_id in served.histories:
        served.recommend_user(user_id, 10)
    one_by_one = time.perf_counter() - started
    result = {"users": int(table["user_id"].nunique()), "batched_seconds": round(batched, 3),
              "one_by_one_seconds": round(one_by_one, 3), "speed-up": round(one_by_one / batched, 2)}
    (RESULTS / "live_batch.json").write_text(json.dumps(result, indent=2) + "\n")
    print(result)


if __name__ == "__main__":
    main()
