"""Benchmark: shilling attacks through the live feedback path.

An EASE bundle on ml-100k's training part is served (the library engine the HTTP routes call);
each classic attack (llm4rec.feedback.attacks, 5 % fake users, 5 % filler) arrives as rating
feedback beside 50 genuine new users; `llm4rec retrain` runs with and without its shilling check.
Reported: the share of fake streams held (recall), genuine streams held by mistake, and the
attacked item's top-10 exposure among real users who never met it, from the retrained bundle
with and without the check (and before the attack). Writes benchmarks/results/live_fraud.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.feedback.attacks import ATTACKS, FAKE_PREFIX, Attack, choose_target, inject
from llm4rec.models.ease import EASE
from llm4rec.serving.bundle import load_bundle, save_bundle
from llm4rec.serving.engine import Engine
from llm4rec.serving.feedback_store import Event, FeedbackStore
from llm4rec.serving.retraining import retrain
from llm4rec.serving.streams import held_streams

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GENUINE = 50


def feedback(split, attack: Attack) -> list[Event]:
    """The attack's fake ratings and 50 genuine new users (copies of real users' first 20 ratings)."""
    attacked, _ = inject(split.train, split.catalog, attack)
    rows = attacked.to_frame()
    fakes = rows[rows["user_id"].str.startswith(FAKE_PREFIX)]
    events = [Event(user_id=u, item_id=i, event_type="rating", value=float(r), timestamp=float(t))
              for u, i, r, t in zip(fakes["user_id"], fakes["item_id"], fakes["rating"], fakes["timestamp"],
                                    strict=True)]
    train = split.train.to_frame()
    for n, user in enumerate(train["user_id"].unique()[:GENUINE]):
        mine = train[train["user_id"] == user].sort_values("timestamp").head(20)
        events += [Event(user_id=f"genuine-{n}", item_id=i, event_type="rating", value=float(r), timestamp=float(t))
                   for i, r, t in zip(mine["item_id"], mine["rating"], mine["timestamp"], strict=True)]
    return events


def exposure(folder: Path, target: int, audience: list[str]) -> float:
    """Share of the audience with the target in the bundle's top 10."""
    bundle = load_bundle(folder)
    histories = bundle.interactions.histories()
    users = bundle.interactions.users
    top = bundle.model.recommend([histories[users.index(u)] for u in audience], 10)[0]
    return float((top == target).any(axis=1).mean())


def run(dataset: str) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    model = EASE(l2=150.0).fit(split.train)
    target_counts = split.train.item_counts()
    report = {}
    for kind in ATTACKS:
        target = choose_target(split.train)
        attack = Attack(kind, 0.05, 0.05, target)
        met = set(split.train.users.ids[split.train.user_index[split.train.item_index == target]])
        audience = [u for u in split.train.users.ids if u not in met]
        row = {"target_interactions": int(target_counts[target])}
        for check in (False, True):
            with tempfile.TemporaryDirectory() as folder:
                root, store_path = Path(folder) / "bundles", Path(folder) / "feedback.sqlite"
                first = save_bundle(model, split.train, split.catalog, root, dataset=dataset)
                if not check:
                    row["exposure_before"] = exposure(first, target, audience)
                engine = Engine(root, FeedbackStore(store_path))
                events = feedback(split, attack)
                engine.add_feedback(events)
                outcome = retrain(root, store_path, tolerance=1.0, hold_suspicious=check)
                store = FeedbackStore(store_path)
                held = held_streams(store)
                store.close()
                fakes = {e.user_id for e in events if e.user_id.startswith(FAKE_PREFIX)}
                label = "with_check" if check else "without_check"
                row[label] = {"fake_streams": len(fakes),
                              "fake_streams_held": round(len(fakes & set(held)) / len(fakes), 4),
                              "genuine_streams_held": sum(u.startswith("genuine-") for u in held),
                              "exposure_after_retrain": exposure(outcome.folder, target, audience),
                              "events_held": outcome.events_held, "events_used": outcome.events_used}
        report[kind] = row
        print(kind, json.dumps(row), flush=True)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k-loo")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/live_fraud.json"))
    args = parser.parse_args()
    result = {"dataset": args.dataset, "command": f"python benchmarks/live_fraud.py --dataset {args.dataset}",
              "attacks": run(args.dataset)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
