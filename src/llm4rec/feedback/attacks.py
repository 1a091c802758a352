"""Shilling attacks: fake user profiles that push one target item, for testing defences.

The four classic profile-injection attacks (Mobasher et al. 2007): every fake user gives the
target the top rating and fills a share of the catalogue ("filler") with ratings drawn from
the global distribution (random), from each item's own distribution (average), plus top
ratings on the most popular items (bandwagon), or top ratings on the target's segment (the
most popular items of its first category) and the lowest on the filler (segment).
Timestamps are drawn from the real ones, so nothing gives the fakes away but their ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.errors import ConfigError

ATTACKS = ("random", "average", "bandwagon", "segment")
SELECTED_ITEMS = 10  # popular (bandwagon) or segment items rated top by every fake user
FAKE_PREFIX = "fake-"


@dataclass(frozen=True)
class Attack:
    kind: str
    size: float  # fake users as a share of the real users
    filler: float  # filler items as a share of the catalogue
    target: int  # item index pushed
    seed: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ATTACKS:
            raise ConfigError(f"Unknown attack {self.kind!r}; choose from {', '.join(ATTACKS)}")
        if not 0 < self.size <= 1 or not 0 < self.filler < 1:
            raise ConfigError(f"Attack size must be in (0, 1] and filler in (0, 1); got {self.size}, {self.filler}")


def _rating_stats(interactions: Interactions) -> tuple[float, float, np.ndarray, np.ndarray]:
    ratings, items = interactions.ratings, interactions.item_index
    mean, std = float(np.nanmean(ratings)), float(np.nanstd(ratings))
    counts = np.bincount(items, minlength=interactions.n_items)
    sums = np.bincount(items, weights=ratings, minlength=interactions.n_items)
    squares = np.bincount(items, weights=ratings**2, minlength=interactions.n_items)
    item_mean = np.where(counts > 0, sums / np.maximum(counts, 1), mean)
    item_std = np.where(counts > 1, np.sqrt(np.maximum(squares / np.maximum(counts, 1) - item_mean**2, 0)), std)
    return mean, std, item_mean, item_std


def segment_items(interactions: Interactions, catalog: ItemCatalog | None, target: int, n: int) -> np.ndarray:
    """The n most popular items sharing the target's first category (popular items if none)."""
    counts = interactions.item_counts()
    candidates = np.arange(interactions.n_items)
    column = next((c for c in (catalog.text_columns if catalog is not None else [])
                   if catalog.frame[c].astype(str).str.contains("|", regex=False).any()), None)
    if column is not None:
        values = catalog.aligned(interactions.items)[column].fillna("").astype(str).str.split("|")
        first = values.iloc[target][0]
        candidates = np.flatnonzero(values.apply(lambda v: first in v).to_numpy())
    candidates = candidates[candidates != target]
    return candidates[np.argsort(-counts[candidates], kind="stable")][:n]


def inject(interactions: Interactions, catalog: ItemCatalog | None, attack: Attack) -> tuple[Interactions, np.ndarray]:
    """The interactions with the attack's fake users added, and a mask of fake users."""
    rng = np.random.default_rng(attack.seed)
    mean, std, item_mean, item_std = _rating_stats(interactions)
    n_fake = max(1, round(attack.size * interactions.n_users))
    n_filler = max(1, round(attack.filler * interactions.n_items))
    popular = np.argsort(-interactions.item_counts(), kind="stable")
    selected = {"bandwagon": popular[popular != attack.target][:SELECTED_ITEMS],
                "segment": segment_items(interactions, catalog, attack.target, SELECTED_ITEMS)}.get(
        attack.kind, np.zeros(0, np.int64))
    pool = np.setdiff1d(np.arange(interactions.n_items), np.append(selected, attack.target))
    rows = []
    for fake in range(n_fake):
        filler = rng.choice(pool, size=min(n_filler, len(pool)), replace=False)
        if attack.kind == "average":
            values = rng.normal(item_mean[filler], item_std[filler])
        elif attack.kind == "segment":
            values = np.ones(len(filler))
        else:
            values = rng.normal(mean, std, size=len(filler))
        items = np.concatenate([filler, selected, [attack.target]])
        ratings = np.concatenate([np.clip(np.rint(values), 1, 5), np.full(len(selected) + 1, 5.0)])
        user = f"{FAKE_PREFIX}{fake:05d}"
        rows.append(pd.DataFrame({"user_id": user, "item_id": interactions.items.ids[items], "rating": ratings,
                                  "timestamp": rng.choice(interactions.timestamps, size=len(items))}))
    frame = pd.concat([interactions.to_frame(), *rows], ignore_index=True)
    users = IdMap.from_values(frame["user_id"])
    attacked = Interactions.from_frame(frame, users, interactions.items)
    return attacked, np.char.startswith(users.ids.astype(str), FAKE_PREFIX)


def choose_target(interactions: Interactions, seed: int = 0, low: int = 10, high: int = 30) -> int:
    """A seeded pick among little-known items (low..high interactions): what an attacker pushes."""
    counts = interactions.item_counts()
    candidates = np.flatnonzero((counts >= low) & (counts <= high))
    if not len(candidates):
        candidates = np.argsort(counts)[: max(1, interactions.n_items // 10)]
    return int(np.random.default_rng(seed).choice(candidates))
