"""Faithfulness of explanations, and the liked rule: removing the cited history items lowers the
item's score, and no cited ("because you liked") item is one the user rated 2 of 5 or below, or
below their own mean.

For each model (fitted on a split's train part) and a seeded sample of users, every top-10 item
is explained; we count how often at least one history item is cited, of those how often removing
the cited items together lowers the item's score, and how many cited items break the liked rule.

    python benchmarks/explain_faithfulness.py --out benchmarks/results/explain.json
    python benchmarks/explain_faithfulness.py --dataset ml-100k-loo --users 500 --models ease,itemknn,als \
        --out benchmarks/results/explain_liked_ml-100k.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.explain.evidence import explain, faithful
from llm4rec.models.registry import create_model
from llm4rec.profiles.ratings import history_ratings, liked_mask, rating_scale_top

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = {"ease": {"l2": 150.0}, "itemknn": {}, "als": {}, "text": {}, "hybrid": {}, "seqhybrid": {}}


def measure(name: str, params: dict, users: np.ndarray, split) -> dict:
    model = create_model(name, **params).fit(split.train, split.catalog)
    histories = split.train.histories()
    scale_top = rating_scale_top(split.train)
    cited = held = explained = low_rated = below_mean = 0
    started = time.perf_counter()
    for user in users:
        history = histories[user]
        ratings = history_ratings(split.train, str(split.train.users.ids[user]), history)
        rated = dict(zip(history.tolist(), ratings.tolist(), strict=True))
        liked = dict(zip(history.tolist(), liked_mask(ratings, scale_top).tolist(), strict=True))
        items = model.recommend([history], 10)[0][0]
        for evidence in explain(model, history, items, split.train, split.catalog, ratings):
            explained += 1
            verdict = faithful(model, history, evidence)
            cited += verdict is not None
            held += bool(verdict)
            low_rated += any(rated[i] <= 0.4 * scale_top for i in evidence.history_items)  # 2 of 5 or below
            below_mean += any(not liked[i] for i in evidence.history_items)
    seconds = time.perf_counter() - started
    row = {"model": name, "explanations": explained, "with_cited_history": round(cited / explained, 4),
           "faithful_share": round(held / max(cited, 1), 4), "cite_an_item_rated_2_or_less": low_rated,
           "cite_an_item_not_liked": below_mean, "ms_per_explanation": round(1000 * seconds / explained, 2)}
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--dataset", default="ml-100k-loo")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/explain.json"))
    args = parser.parse_args()
    split, _ = read_split_dir(SHARED / args.dataset)
    users = np.random.default_rng(0).choice(split.train.n_users, size=args.users, replace=False)
    rows = [measure(name, MODELS[name], users, split) for name in args.models.split(",")]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "dataset": f"{args.dataset} (train)",
                                    "users": args.users, "results": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
