"""Retraining beside the service: the served bundle's interactions plus what the feedback store
received since, refitted with the bundle's own settings, checked against the bundle on the most
recent feedback, and published as a new version only when it is not worse.

The new bundle records the store sequence it holds (`feedback_store_seq`), so a service that
swaps it in replays only the events that came after, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.feedback.shilling import detect_fakes
from llm4rec.feedback.weights import FeedbackConfig, mine_weights
from llm4rec.models.registry import create_model
from llm4rec.serving.bundle import STORE_SEQ, load_bundle, save_bundle
from llm4rec.serving.feedback_store import FeedbackStore
from llm4rec.serving.live_items import LiveItems, WithLiveItems, with_rows
from llm4rec.serving.streams import held_streams, missing_events

HOLDOUT_SHARE = 0.1  # of the new feedback, the most recent, kept out of the candidate to check it
METRIC = "NDCG@10"


@dataclass
class Retrained:
    """What a retraining did, with the figures that decided it."""

    previous: Path
    folder: Path | None = None  # the new version, when published
    events_used: int = 0
    events_skipped: int = 0  # on items neither the bundle's catalogue nor POST /items has
    items_added: int = 0  # items added live (POST /items) with feedback, now in the catalogue
    events_held: int = 0  # of streams held for review (see serving.engine)
    suspects_held: int = 0  # feedback streams this retraining's shilling check held
    holdout_cases: int = 0
    previous_figures: dict[str, float] = field(default_factory=dict)
    candidate_figures: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    weighted: bool = False  # the new events were weighted with the bundle's recorded mining settings

    @property
    def published(self) -> bool:
        return self.folder is not None

    def lines(self) -> list[str]:
        out = [f"feedback events used {self.events_used:,}, skipped {self.events_skipped:,} (items the bundle "
               f"does not know), held {self.events_held:,} (streams held for review, {self.suspects_held:,} of them "
               f"newly by the shilling check); items added live that enter the catalogue {self.items_added:,}; "
               + ("weighted with the bundle's feedback-mining settings" if self.weighted
                  else "unweighted, as the bundle was trained")]
        if self.holdout_cases:
            previous, candidate = self.previous_figures.get(METRIC, 0), self.candidate_figures.get(METRIC, 0)
            out.append(f"check on the {self.holdout_cases:,} most recent events: {METRIC} previous {previous:.4f}, "
                       f"candidate {candidate:.4f}")
        out.append(f"published {self.folder}" if self.published else f"not published: {self.reason}")
        return out


def weighted_events(events: pd.DataFrame, users: IdMap, items: IdMap, config: FeedbackConfig) -> pd.DataFrame:
    """The feedback events mined into one weighted row per (user, item), exactly as the bundle's
    training data was (`feedback.weights.mine_weights`: event type, dwell, rating, repeats)."""
    events = events.reset_index(drop=True)
    events["rating"] = events["rating"].where(events["event_type"] == "rating")  # a purchase's value is a price
    mined, _ = mine_weights(Interactions.from_frame(events, users, items), events, config)
    return mined.to_frame().sort_values("timestamp", kind="stable")  # the latest stay last, for the holdout


def shilling_suspects(old: pd.DataFrame, items: IdMap, new: pd.DataFrame, exempt: set[str]) -> list[str]:
    """Feedback users whose ratings, beside the bundle's rows `old`, look like an injected shilling
    attack (`feedback.shilling.detect_fakes`, the detector of `attack-eval`); none without ratings."""
    if new["rating"].isna().all():
        return []
    frame = pd.concat([old, new[["user_id", "item_id", "timestamp", "rating"]]], ignore_index=True)
    interactions = Interactions.from_frame(frame, IdMap.from_values(frame["user_id"]), items)
    flagged = set(interactions.users.ids[detect_fakes(interactions)])
    return sorted(flagged & set(new["user_id"]) - exempt)


def retrain(bundle_path: Path | str, store_path: Path | str, holdout_share: float = HOLDOUT_SHARE,
            tolerance: float = 0.0, hold_suspicious: bool = True) -> Retrained:
    """Refit the bundle at `bundle_path` (its newest version) on its data plus the store's new
    events; publish beside it unless the candidate's NDCG@10 on the held-out recent events is
    below the previous version's by more than `tolerance`. With `hold_suspicious`, feedback
    streams the shilling detector flags are held in the store (until an admin releases them)
    and left out, as streams already held are."""
    bundle = load_bundle(bundle_path)
    store = FeedbackStore(store_path)
    try:
        through = store.last_seq()
        events = missing_events(bundle, store)
        met = {e.item_id for e in events}
        added = [item for item in store.new_items() if item.item_id in met and item.item_id not in
                 bundle.interactions.items]  # an item added live enters the catalogue once it has feedback
        live = LiveItems.build(bundle, added)  # not a whole ServedModel: its indexes are not needed here
        items = bundle.interactions.items if live is None else IdMap([*bundle.interactions.items.ids, *live.ids.ids])
        new = pd.DataFrame([(e.user_id, e.item_id, int(e.timestamp), np.nan if e.value is None else e.value,
                             e.event_type, e.dwell_time) for e in events if e.item_id in items],
                           columns=["user_id", "item_id", "timestamp", "rating", "event_type", "dwell_time"])
        old = bundle.interactions.to_frame()
        suspects = shilling_suspects(old, items, new, set(store.reviews())) if hold_suspicious else []
        for user in suspects:
            store.review(user, "held", "ratings like an injected shilling attack (feedback.shilling)")
        seq = int(bundle.manifest.get(STORE_SEQ, 0))
        events_held = sum(len(store.events(user, after=seq)) for user in held_streams(store))
    finally:
        store.close()
    known = new[~new["user_id"].isin(suspects)]
    outcome = Retrained(bundle.path, events_used=len(known), events_skipped=len(events) - len(new),
                        events_held=events_held, suspects_held=len(suspects), items_added=len(added))
    catalog = bundle.catalog if live is None else with_rows(bundle.catalog, live.catalog)
    new = known
    if new.empty:
        outcome.reason = "no new feedback on known items since this version"
        return outcome
    known_users = list(bundle.interactions.users.ids)  # kept in place: per-user model state stays aligned
    users = IdMap(known_users + sorted(set(new["user_id"]) - set(known_users)))
    mining = (bundle.manifest.get("feedback") or {}).get("config")
    if mining is not None:  # the bundle learned from mined weights: the new events are weighted the same way
        new = weighted_events(new, users, items, FeedbackConfig(**mining))
        outcome.weighted = True
    else:
        new = new.assign(weight=1.0)  # as every row of an unmined bundle (a missing column would concatenate as NaN)
    combined = Interactions.from_frame(pd.concat([old, new.drop(columns=["event_type", "dwell_time"],
                                                               errors="ignore")], ignore_index=True), users, items)
    held = np.zeros(len(combined), dtype=bool)
    held[len(old) + len(new) - max(1, int(holdout_share * len(new))):] = True  # the latest arrivals
    rest, holdout = combined.select(~held), combined.select(held)
    cases = EvalCases.build(rest, holdout)
    outcome.holdout_cases = len(cases)
    name, params = bundle.manifest["model"], bundle.manifest["params"]
    candidate = create_model(name, **params).fit(rest, catalog)
    served = bundle.model if live is None else WithLiveItems(bundle.model, live)  # as the service ranks them
    outcome.previous_figures = evaluate(served, cases).summary
    outcome.candidate_figures = evaluate(candidate, cases).summary
    if outcome.candidate_figures[METRIC] < outcome.previous_figures[METRIC] - tolerance:
        outcome.reason = (f"the candidate's {METRIC} on the recent events is below the previous version's "
                          f"({outcome.candidate_figures[METRIC]:.4f} < {outcome.previous_figures[METRIC]:.4f})")
        return outcome
    final = create_model(name, **params).fit(combined, catalog)
    metrics = {"retrained_from": bundle.version,
               "holdout": {"cases": len(cases), "previous": outcome.previous_figures,
                           "candidate": outcome.candidate_figures}}
    outcome.folder = save_bundle(final, combined, catalog, bundle.path.parent.parent, metrics,
                                 bundle.manifest["data"]["name"], bundle.manifest.get("feedback"),
                                 bool(bundle.manifest.get("pseudonymized")), bundle.manifest.get("text_encoder"),
                                 store_seq=through)
    return outcome
