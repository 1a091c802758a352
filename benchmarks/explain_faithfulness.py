"""Faithfulness of explanations: removing the cited history items lowers the item's score.

For each model (fitted on ml-100k-loo's train part) and a seeded sample of users, every
top-10 item is explained; we count how often at least one history item is cited and, of
those, how often removing the cited items together lowers the item's score.

    python benchmarks/explain_faithfulness.py --out benchmarks/results/explain.json
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

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MODELS = {"ease": {"l2": 150.0}, "itemknn": {}, "als": {}, "text": {}, "hybrid": {}, "seqhybrid": {}}


def measure(name: str, params: dict, users: np.ndarray, split) -> dict:
    model = create_model(name, **params).fit(split.train, split.catalog)
    histories = split.train.histories()
    cited = held = explained = 0
    started = time.perf_counter()
    for user in users:
        items = model.recommend([histories[user]], 10)[0][0]
        for evidence in explain(model, histories[user], items, split.train, split.catalog):
            explained += 1
            verdict = faithful(model, histories[user], evidence)
            cited += verdict is not None
            held += bool(verdict)
    seconds = time.perf_counter() - started
    row = {"model": name, "explanations": explained, "with_cited_history": round(cited / explained, 4),
           "faithful_share": round(held / max(cited, 1), 4), "ms_per_explanation": round(1000 * seconds / explained, 2)}
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/explain.json"))
    args = parser.parse_args()
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    users = np.random.default_rng(0).choice(split.train.n_users, size=args.users, replace=False)
    rows = [measure(name, MODELS[name], users, split) for name in args.models.split(",")]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "dataset": "ml-100k-loo (train)",
                                    "users": args.users, "results": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
