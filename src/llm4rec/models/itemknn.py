"""Item-based k-nearest neighbours: cosine similarity with shrinkage, top-k neighbours kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from pydantic import Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import FitCache, Recommender, history_matrix
from llm4rec.models.differential_privacy import PrivacyConfig

BLOCK_ELEMENTS = 20_000_000  # a block holds this many / n_items items: at most 20M co-occurrences (~240 MB)


def top_k_per_group(groups: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values within each group (ties: the earlier position)."""
    order = np.lexsort((-values, groups))
    sorted_groups = groups[order]
    first = np.searchsorted(sorted_groups, sorted_groups, side="left")
    return order[np.arange(len(order)) - first < k]


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
    reads_weights = True
    Config = ItemKNNConfig

    open_ended = ("k", "shrink")

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [{"k": k, "shrink": s} for k in (50, 100, 200, 400) for s in (0.0, 10.0, 100.0)]

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        matrix = interactions.matrix(binary=not self.config.weighted).tocsr()
        by_item = matrix.T.tocsr()
        n_items = interactions.n_items
        # The private mode needs the whole (noisy) co-occurrence matrix; the exact one is
        # computed block by block, sparse, so large catalogues fit in memory.
        private = self.config.gram(matrix) if self.config.dp_epsilon is not None else None
        norms = np.sqrt(np.maximum(np.diag(private), 0.0) if private is not None
                        else np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel())
        k = min(self.config.k, n_items - 1) if n_items > 1 else 0
        block = max(1, BLOCK_ELEMENTS // max(n_items, 1))
        rows, cols, vals = [], [], []
        for start in range(0, n_items, block) if k else ():
            columns = np.arange(start, min(start + block, n_items))
            # Row r: item columns[r]'s co-occurrence with every item, sparse ((X'X)[block] =
            # X[:, block]' X walks only the block's users), so the cost follows the pairs that
            # co-occur, not items squared.
            overlap = sp.csr_matrix(private[columns]) if private is not None else by_item[columns] @ matrix
            target = np.repeat(columns, np.diff(overlap.indptr))
            neighbour = overlap.indices
            sim = overlap.data / (norms[target] * norms[neighbour] + self.config.shrink + 1e-12)
            keep = (neighbour != target) & (sim > 0)
            target, neighbour, sim = target[keep], neighbour[keep], sim[keep]
            best = top_k_per_group(target, sim, k)
            rows.append(neighbour[best])
            cols.append(target[best])
            vals.append(sim[best])
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
