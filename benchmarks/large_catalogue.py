"""Benchmark: how the cost of training and full-ranking evaluation grows with catalogue size and
log size, on the seeded synthetic log (`llm4rec.data.synthetic`) with its synthetic titles.

Two axes of three sizes each, plus the issue's headline size:
- catalogue: 20,000 / 60,000 / 200,000 items at 3,000,000 events over 300,000 users;
- log: 1,000,000 / 3,000,000 / 10,000,000 events at 60,000 items;
- 10,000,000 events over 1,000,000 users and 200,000 items.

Per size, in its own process: the log split leave-one-out by time; ALS, ItemKNN and the
text model (MiniLM titles, recency-weighted profile) fitted on train and evaluated by full
ranking over every item for 10,000 sampled test users, in batches of at most SCORE_BUDGET
scores (never users x items at once). Encoding the catalogue's titles is timed on its own,
with a cold cache, once per catalogue size; the text model then reads the cache. Each stage
reports seconds and its peak resident memory (sampled every 20 ms). Defaults, no tuning:
this measures cost, and the NDCG@10 column only shows the models did their job.

    python benchmarks/large_catalogue.py      # make bench-scale; benchmarks/results/large_catalogue.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CATALOGUE_AXIS = ((3_000_000, 300_000, 20_000), (3_000_000, 300_000, 60_000), (3_000_000, 300_000, 200_000))
LOG_AXIS = ((1_000_000, 100_000, 60_000), (3_000_000, 300_000, 60_000), (10_000_000, 1_000_000, 60_000))
HEADLINE = (10_000_000, 1_000_000, 200_000)
MODELS = ("als", "itemknn", "text")
EVAL_USERS = 10_000


class PeakMemory:
    """Peak resident memory of this process while the block runs, sampled in a thread."""

    def __init__(self, every: float = 0.02) -> None:
        self.every, self.peak_mb = every, 0.0
        self._done = threading.Event()

    @staticmethod
    def resident_mb() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _watch(self) -> None:
        while not self._done.wait(self.every):
            self.peak_mb = max(self.peak_mb, self.resident_mb())

    def __enter__(self) -> PeakMemory:
        self.peak_mb = self.resident_mb()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self.resident_mb())


def timed(record: dict, name: str, work: Callable[..., Any], *arguments: Any) -> Any:
    """Run work(*arguments), adding name_s and name_peak_mb to `record`."""
    gc.collect()
    started = time.perf_counter()
    with PeakMemory() as memory:
        result = work(*arguments)
    record[f"{name}_s"] = round(time.perf_counter() - started, 1)
    record[f"{name}_peak_mb"] = round(memory.peak_mb)
    return result


def catalog_of(n_items: int):
    from llm4rec.data.catalog import ItemCatalog
    from llm4rec.data.synthetic import synthetic_catalog

    frame = synthetic_catalog(n_items).astype({"item_id": str}).set_index("item_id")
    return ItemCatalog(frame)


def encode_run(n_items: int) -> dict:
    """Encode every title with the default encoder, cache cold (LLM4REC_CACHE is fresh)."""
    from llm4rec.data.ids import IdMap
    from llm4rec.models.item_features import text_vectors

    catalog = catalog_of(n_items)
    record: dict[str, Any] = {"items": n_items}
    timed(record, "encode", text_vectors, catalog, IdMap.from_values(catalog.frame.index), None, None, "text")
    record["texts_per_s"] = round(n_items / record["encode_s"])
    return record


def eval_run(n_events: int, n_users: int, n_items: int) -> dict:
    """Split, then fit and evaluate each model, each stage timed with its peak memory."""
    from llm4rec.data.interactions import Interactions
    from llm4rec.data.splits import leave_one_out
    from llm4rec.data.synthetic import synthetic_log
    from llm4rec.evaluation.ranking import EvalCases, evaluate
    from llm4rec.models.registry import create_model

    record: dict[str, Any] = {"events": n_events, "users": n_users, "items": n_items}

    def prepare() -> tuple[Interactions, EvalCases]:
        split = leave_one_out(Interactions.from_frame(synthetic_log(n_events, n_users, n_items)))
        split = split.sample_users(EVAL_USERS)
        return split.train, EvalCases.build(split.train, split.test)

    train, cases = timed(record, "data", prepare)
    record |= {"train_rows": len(train), "catalogue_items": train.n_items, "eval_users": len(cases)}
    catalog = catalog_of(n_items)
    for name in MODELS:
        model = create_model(name)
        timed(record, f"{name}_fit", model.fit, train, catalog)
        result = timed(record, f"{name}_eval", evaluate, model, cases, (10,))
        record[f"{name}_ndcg@10"] = round(result.summary["NDCG@10"], 4)
        record[f"{name}_eval_users_per_s"] = round(len(cases) / record[f"{name}_eval_s"])
        del model, result
        print(name, {k: v for k, v in record.items() if k.startswith(name)}, file=sys.stderr, flush=True)
    return record


def in_process(cache: Path, *arguments: str) -> dict:
    """Run one measurement in a fresh process (its own peak memory), cache at `cache`."""
    environment = os.environ | {"LLM4REC_CACHE": str(cache)}
    output = subprocess.run([sys.executable, __file__, *arguments], check=True, stdout=subprocess.PIPE, text=True,
                            env=environment).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/large_catalogue.json"))
    parser.add_argument("--encode", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--evaluate", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.encode:
        print(json.dumps(encode_run(args.encode)))
        return
    if args.evaluate:
        print(json.dumps(eval_run(*args.evaluate)))
        return
    sizes = list(dict.fromkeys([*CATALOGUE_AXIS, *LOG_AXIS, HEADLINE]))
    results: dict[str, Any] = {"command": "python benchmarks/large_catalogue.py", "eval_users": EVAL_USERS,
                               "encoding": [], "runs": []}
    with tempfile.TemporaryDirectory() as folder:
        caches = {n_items: Path(folder) / f"cache-{n_items}" for _, _, n_items in sizes}
        for n_items, cache in caches.items():
            results["encoding"].append(in_process(cache, "--encode", str(n_items)))
            print(results["encoding"][-1], flush=True)
        for size in sizes:
            results["runs"].append(in_process(caches[size[2]], "--evaluate", *map(str, size)))
            print(results["runs"][-1], flush=True)
            args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
