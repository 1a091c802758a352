"""Most-popular items, all time or lately: the floor every personalised model must beat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd
from pydantic import Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import FitCache, ModelConfig, Recommender

SECONDS_PER_DAY = 86_400
MAX_BUCKETS = 2_000  # time buckets of the recent-popularity counts
MIN_BUCKET_SECONDS = 3_600.0
CELL_BUDGET = 50_000_000  # buckets x items kept (200 MB of float32); fewer, wider buckets past it


class Popularity(Recommender):
    """Scores every item by how many users interacted with it in training."""

    name = "pop"

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        self.counts_ = np.asarray(interactions.matrix().sum(axis=0)).ravel().astype(np.float32)
        self.n_items_ = interactions.n_items
        return self

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        return np.broadcast_to(self.counts_, (len(histories), self.n_items_)).copy()

    def _state(self) -> dict[str, np.ndarray]:
        return {"counts_": self.counts_}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.counts_ = state["counts_"]


class RecentPopularityConfig(ModelConfig):
    window_days: float | None = Field(None, gt=0, description="count the interactions of the last window_days "
                                      "before the user's present; None: all of them before it")


class RecentPopularity(Recommender):
    """Items by how often they were interacted with in the days before the user's present: on news
    and other short-lived catalogues what others read just then is what the next reader clicks.

    A history carries no clock, so a user's present is the typical (median) time of their last
    item's interactions; counts come from the training data before it only (never after). Time is
    cut into at most MAX_BUCKETS buckets (an hour at least), whose running counts make every window
    one subtraction. The window is tuned on valid, from an hour to everything before the present.
    Ties are ordered by the all-time count."""

    name = "recent-pop"
    Config = RecentPopularityConfig

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [{"window_days": days} for days in (1 / 24, 0.25, 1.0, 3.0, 7.0, 30.0, 90.0, 365.0, None)]

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        n_items = interactions.n_items
        all_time = np.bincount(interactions.item_index, minlength=n_items).astype(np.float64)
        self.tie_break_ = (all_time / (all_time.max() + 1.0)).astype(np.float32)  # stays below one count
        stamps = interactions.timestamps.astype(np.float64)
        start = stamps.min() if len(stamps) else 0.0
        span = (stamps.max() - start) if len(stamps) else 0.0
        n_buckets = max(1, min(MAX_BUCKETS, CELL_BUDGET // max(n_items, 1)))
        self.bucket_seconds_ = max(MIN_BUCKET_SECONDS, span / n_buckets)
        buckets = np.minimum(((stamps - start) // self.bucket_seconds_).astype(np.int64), n_buckets - 1)
        counts = np.bincount(buckets * n_items + interactions.item_index, minlength=n_buckets * n_items)
        self.running_ = np.cumsum(counts.reshape(n_buckets, n_items), axis=0, dtype=np.float32)
        typical = pd.Series(buckets).groupby(interactions.item_index).median()
        self.item_bucket_ = np.full(n_items, n_buckets - 1, dtype=np.int64)  # unseen items: the data's end
        self.item_bucket_[typical.index.to_numpy()] = typical.to_numpy().astype(np.int64)
        self.n_items_ = n_items
        return self

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        last = len(self.running_) - 1
        now = np.array([self.item_bucket_[h[-1]] if len(h) else last for h in histories], dtype=np.int64)
        counts = self.running_[now]
        if self.config.window_days is not None:
            width = max(1, int(np.ceil(self.config.window_days * SECONDS_PER_DAY / self.bucket_seconds_)))
            before = now - width
            counts = counts - np.where((before >= 0)[:, None], self.running_[np.maximum(before, 0)], 0.0)
        return counts + self.tie_break_[None, :]

    def _state(self) -> dict[str, np.ndarray]:
        return {"running_": self.running_, "item_bucket_": self.item_bucket_, "tie_break_": self.tie_break_,
                "bucket_seconds_": np.asarray(self.bucket_seconds_)}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.running_, self.item_bucket_ = state["running_"], state["item_bucket_"]
        self.tie_break_ = state["tie_break_"]
        self.bucket_seconds_ = float(state["bucket_seconds_"])
