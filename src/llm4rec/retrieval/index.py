"""Top-k inner-product search over item vectors: exact for small catalogues, HNSW above.

Large catalogues use faiss's HNSW graph for candidates and re-score them exactly against the
stored float vectors, so the order of what is returned is always the exact one; only the
candidate set is approximate. Below `exact_below` items a matrix product is both exact and
faster than walking a graph.
"""

from __future__ import annotations

import faiss
import numpy as np

from llm4rec.errors import ConfigError
from llm4rec.models.base import top_k

EXACT_BELOW = 50_000


class VectorIndex:
    """Inner-product top-k over fixed item vectors (n_items, d), float32."""

    def __init__(self, vectors: np.ndarray, exact_below: int = EXACT_BELOW, m: int = 32,
                 ef_construction: int = 80, ef_search: int = 64, oversample: int = 2) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or not len(vectors):
            raise ConfigError(f"VectorIndex needs a non-empty (n_items, d) array; got shape {vectors.shape}")
        self.vectors = vectors
        self.oversample = oversample
        self.ef_search = ef_search  # candidate list size when walking the graph; higher: better recall, slower
        self.graph: faiss.IndexHNSWFlat | None = None
        if len(vectors) >= exact_below:
            self.graph = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
            self.graph.hnsw.efConstruction = ef_construction
            self.graph.add(vectors)

    def __len__(self) -> int:
        return len(self.vectors)

    @property
    def kind(self) -> str:
        return "hnsw" if self.graph is not None else "exact"

    def search(self, queries: np.ndarray, k: int, exclude: list[np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (items, inner products) per query row, best first; `exclude[i]` items
        (a query's seen items, say) are never returned. Rows with too few candidates are
        padded with item -1 and score -inf."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        exclude = exclude if exclude is not None else [np.zeros(0, np.int64)] * len(queries)
        if self.graph is None:
            scores = queries @ self.vectors.T
            for row, items in enumerate(exclude):
                scores[row, items] = -np.inf
            return top_k(scores, k)
        width = max(self.oversample * k + max(map(len, exclude), default=0), k)
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, width))
        _, candidates = self.graph.search(queries, width, params=params)
        return self._rescore(queries, candidates, exclude, k)

    def _rescore(self, queries: np.ndarray, candidates: np.ndarray, exclude: list[np.ndarray], k: int
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Exact inner products of each query with its candidates, excluded ones dropped."""
        valid = candidates >= 0
        safe = np.where(valid, candidates, 0)
        scores = np.einsum("qd,qcd->qc", queries, self.vectors[safe])
        for row, items in enumerate(exclude):
            valid[row] &= ~np.isin(candidates[row], items)
        scores = np.where(valid, scores, -np.inf).astype(np.float32)
        order, best = top_k(scores, k)
        items = np.take_along_axis(candidates, order, axis=1)
        return np.where(np.isfinite(best), items, -1), best
