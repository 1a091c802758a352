"""Benchmark: two-stage recommendation (llm4rec.retrieval.two_stage) against exact scoring.

Seeded synthetic logs (llm4rec.data.synthetic) of growing catalogues, split leave-one-out by time;
ALS (64 factors) fitted on train. For EVAL_USERS sampled test users, each path answers one
request at a time as the service does (top 10 of a known user, seen items left out):
- exact: `model.recommend`, every item scored;
- two-stage: `TwoStageRetriever` (HNSW above VectorIndex's exact threshold, candidates from the
  user's vector and the user's recent items, scored exactly).
Reported per size: index build seconds and memory, p50/p99 milliseconds of a request on each
path, the two-stage lists' top-10 overlap with the exact ones, and HR@10 / NDCG@10 of both on
the held-out last items (paired: same users). The service's threshold (TWO_STAGE_FROM) is the
smallest measured size at which two-stage answers faster at p99.

    python benchmarks/two_stage.py    # make bench-two-stage; benchmarks/results/two_stage.{json,md}
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from llm4rec.data.interactions import Interactions
from llm4rec.data.splits import leave_one_out
from llm4rec.data.synthetic import synthetic_log
from llm4rec.models.matrix_factorization import ALS
from llm4rec.retrieval.two_stage import TWO_STAGE_FROM, TwoStageRetriever

SIZES = ((3_000_000, 300_000, 20_000), (3_000_000, 300_000, 100_000), (5_000_000, 500_000, 1_000_000))
EVAL_USERS = 1000


def latencies(answer, histories: list[np.ndarray], users: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Each user's top 10 asked one request at a time; (lists, milliseconds per request)."""
    lists, timings = [], []
    for history, user in zip(histories, users, strict=True):
        started = time.perf_counter()
        lists.append(answer([history], np.array([user]))[0])
        timings.append((time.perf_counter() - started) * 1000)
    return np.stack(lists), timings


def hits(lists: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    found = lists == targets[:, None]
    gains = (found / np.log2(np.arange(2, 12))).sum(axis=1)
    return {"HR@10": round(float(found.any(axis=1).mean()), 4), "NDCG@10": round(float(gains.mean()), 4)}


def run(n_events: int, n_users: int, n_items: int) -> dict:
    record = {"events": n_events, "users": n_users, "items": n_items}
    split = leave_one_out(Interactions.from_frame(synthetic_log(n_events, n_users, n_items)))
    started = time.perf_counter()
    model = ALS().fit(split.train)
    record["fit_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    retriever = TwoStageRetriever(model)
    record |= {"index": retriever.index.kind, "index_build_s": round(time.perf_counter() - started, 1),
               "index_mb": round(retriever.index.memory_bytes / 2**20)}
    test = split.test
    rng = np.random.default_rng(0)
    users = np.sort(rng.choice(test.user_index, min(EVAL_USERS, len(test)), replace=False))
    targets = np.array([test.item_index[test.user_index == u][0] for u in users])
    train_histories = split.train.histories()
    histories = [train_histories[u] for u in users]
    exact, exact_ms = latencies(lambda h, u: model.recommend(h, 10, users=u)[0], histories, users)
    staged, staged_ms = latencies(lambda h, u: retriever.recommend(h, 10, users=u)[0], histories, users)
    for name, ms in (("exact", exact_ms), ("two_stage", staged_ms)):
        record[f"{name}_p50_ms"] = round(float(np.percentile(ms, 50)), 2)
        record[f"{name}_p99_ms"] = round(float(np.percentile(ms, 99)), 2)
    record["top10_overlap"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in
                                                   zip(exact, staged, strict=True)])), 4)
    record["exact"], record["two_stage"] = hits(exact, targets), hits(staged, targets)
    record["eval_users"] = len(users)
    print(record, flush=True)
    return record


def markdown(runs: list[dict]) -> str:
    lines = ["# Two-stage recommendation against exact scoring", "",
             "Command: `python benchmarks/two_stage.py` (ALS, 64 factors, on seeded synthetic logs; one request "
             f"at a time, {EVAL_USERS} test users; torch and BLAS as set by the script). The service uses two "
             f"stages from {TWO_STAGE_FROM:,} items (`llm4rec serve --two-stage-from`).", "",
             "| items | events | index (build s, MB) | exact p50 / p99 ms | two-stage p50 / p99 ms | top-10 overlap | "
             "NDCG@10 exact / two-stage | HR@10 exact / two-stage |", "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['items']:,} | {r['events']:,} | {r['index']} ({r['index_build_s']}, {r['index_mb']}) | "
                     f"{r['exact_p50_ms']} / {r['exact_p99_ms']} | {r['two_stage_p50_ms']} / {r['two_stage_p99_ms']} "
                     f"| {r['top10_overlap']:.1%} | {r['exact']['NDCG@10']} / {r['two_stage']['NDCG@10']} | "
                     f"{r['exact']['HR@10']} / {r['two_stage']['HR@10']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", default=",".join(str(size[2]) for size in SIZES),
                        help="catalogue sizes to run, of " + ", ".join(f"{s[2]:,}" for s in SIZES))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/two_stage.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # as the service runs
    wanted = {int(n) for n in args.items.split(",")}
    runs = []
    for size in SIZES:
        if size[2] in wanted:
            runs.append(run(*size))
            args.out.write_text(json.dumps({"command": "python benchmarks/two_stage.py", "runs": runs}, indent=2)
                                + "\n")
            args.out.with_suffix(".md").write_text(markdown(runs))


if __name__ == "__main__":
    main()
