"""Item-based k-nearest neighbours: cosine similarity with shrinkage, top-k neighbours kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import Recommender, history_matrix
from llm4rec.models.differential_privacy import PrivacyConfig

BLOCK_ELEMENTS = 20_000_000  # dense similarity block size (~80 MB of float32)


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


class ItemKNNConfig(PrivacyConfig):
    k: int = Field(100, ge=1, description="neighbours kept per item")
    shrink: float = Field(10.0, ge=0, description="added to the cosine denominator")
    weighted: bool = Field(False, description="learn from the interactions' confidence weights (see "
                           "llm4rec.feedback) instead of 0/1")


class ItemKNN(Recommender):
    """score(u, j) = sum over the user's items i of sim(i, j), sim kept for j's top-k i."""

    name = "itemknn"
    Config = ItemKNNConfig

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [{"k": k, "shrink": s} for k in (50, 100, 200, 400) for s in (0.0, 10.0, 100.0)]

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None) -> Self:
        matrix = interactions.matrix(binary=not self.config.weighted).tocsc()
        n_items = interactions.n_items
        # The private mode needs the whole (noisy) co-occurrence matrix; the exact one is
        # computed block by block, sparse, so large catalogues fit in memory.
        private = self.config.gram(matrix.tocsr()) if self.config.dp_epsilon is not None else None
        norms = np.sqrt(np.maximum(np.diag(private), 0.0) if private is not None
                        else np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
        k = min(self.config.k, n_items - 1) if n_items > 1 else 0
        block = max(1, BLOCK_ELEMENTS // max(n_items, 1))
        rows, cols, vals = [], [], []
        for start in range(0, n_items, block):
            columns = np.arange(start, min(start + block, n_items))
            overlap = private[:, columns] if private is not None else (matrix.T @ matrix[:, columns]).toarray()
            sim = overlap / (norms[:, None] * norms[None, columns] + self.config.shrink + 1e-12)
            sim[columns, np.arange(len(columns))] = 0.0
            if k == 0:
                continue
            top = np.argpartition(-sim, k - 1, axis=0)[:k]
            values = np.take_along_axis(sim, top, axis=0)
            keep = values > 0
            rows.append(top[keep])
            cols.append(np.broadcast_to(columns, top.shape)[keep])
            vals.append(values[keep])
        self.similarity_ = sp.csr_matrix(
            (_concat(vals, np.float32), (_concat(rows, np.int64), _concat(cols, np.int64))),
            shape=(n_items, n_items),
        )
        self.n_items_ = n_items
        return self

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        return (history_matrix(histories, self.n_items_) @ self.similarity_).toarray()

    def _similarities(self, items: np.ndarray) -> np.ndarray:
        return self.similarity_[items].toarray()

    def _state(self) -> dict[str, np.ndarray]:
        s = self.similarity_
        return {"data": s.data, "indices": s.indices, "indptr": s.indptr}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        shape = (self.n_items_, self.n_items_)
        self.similarity_ = sp.csr_matrix((state["data"], state["indices"], state["indptr"]), shape=shape)
