"""Top-k recommendations for every user in bounded memory: batches of users, each scored and
cut to k before the next, in one process or as Ray tasks running the same function."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from llm4rec.data.interactions import Interactions
from llm4rec.distributed import batch_bounds, map_batches
from llm4rec.models.base import SCORE_BUDGET, Recommender


@dataclass(frozen=True)
class Histories:
    """Users' histories as one flat array with offsets (cheap to ship to workers)."""

    items: np.ndarray
    offsets: np.ndarray  # len(users) + 1

    @classmethod
    def of(cls, interactions: Interactions) -> Histories:
        histories = interactions.histories()
        lengths = np.fromiter((len(h) for h in histories), np.int64, count=len(histories))
        items = np.concatenate(histories) if histories else np.zeros(0, np.int64)
        return cls(items.astype(np.int64), np.concatenate([[0], np.cumsum(lengths)]))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def slice(self, start: int, stop: int) -> list[np.ndarray]:
        return [self.items[self.offsets[u] : self.offsets[u + 1]] for u in range(start, stop)]


def top_k_batch(model: Recommender, histories: Histories, start: int, stop: int,
                k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (items, scores) of users start..stop, seen items left out."""
    return model.recommend(histories.slice(start, stop), k, users=np.arange(start, stop))


def recommend_all(model: Recommender, interactions: Interactions, k: int = 10, ray: str | None = None,
                  batch_size: int | None = None) -> pd.DataFrame:
    """One row per (user, rank): user_id, rank (1 = best), item_id, score, for every user
    with a history, from a model fitted on `interactions`; `ray` ('auto' or an address) runs
    the batches as Ray tasks."""
    histories = Histories.of(interactions)
    batch_size = batch_size or max(1, min(4096, SCORE_BUDGET // max(interactions.n_items, 1)))
    bounds = batch_bounds(len(histories), batch_size)
    if ray is None:
        parts = [top_k_batch(model, histories, start, stop, k) for start, stop in bounds]
    else:
        parts = map_batches(top_k_batch, model, histories, bounds, k, address=ray)
    items = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, k), np.int64)
    scores = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, k), np.float32)
    k = items.shape[1]
    users = np.repeat(np.arange(len(histories)), k)
    keep = np.isfinite(scores.ravel()) & (np.diff(histories.offsets) > 0)[users]
    return pd.DataFrame({"user_id": interactions.users.ids[users[keep]],
                         "rank": np.tile(np.arange(1, k + 1), len(histories))[keep],
                         "item_id": interactions.items.ids[items.ravel()[keep]],
                         "score": scores.ravel()[keep]})
