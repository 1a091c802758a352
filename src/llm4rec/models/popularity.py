"""Most-popular items: the floor every personalised model must beat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import FitCache, Recommender


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
