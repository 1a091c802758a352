"""Top-k inner-product search over item vectors: exact for small catalogues, HNSW above.

Large catalogues use faiss's HNSW graph for candidates and re-score them exactly against the
stored float vectors, so the order of what is returned is always the exact one; only the
candidate set is approximate. Below `exact_below` items a matrix product is both exact and
faster than walking a graph.

A compressed index (`compress=True`) stores 8-bit codes instead of float vectors (a quarter
of the memory) and ranks by the inner products of the codes, so scores and order are
approximate too: for catalogues whose float vectors do not fit in memory. The service keeps
the float index, since its model holds the float vectors anyway.
"""

from __future__ import annotations

import faiss
import numpy as np

from llm4rec.errors import ConfigError
from llm4rec.models.base import top_k

EXACT_BELOW = 50_000
TRAIN_SAMPLE = 100_000  # vectors the 8-bit quantiser learns each dimension's range from


class _GraphMemory:
    """Memory owned by a faiss index, exposed to numpy; arrays made from it hold the index."""

    def __init__(self, graph: faiss.Index, raw: np.ndarray) -> None:
        self.graph = graph
        self.__array_interface__ = raw.__array_interface__


class VectorIndex:
    """Inner-product top-k over fixed item vectors (n_items, d), float32."""

    def __init__(self, vectors: np.ndarray, exact_below: int = EXACT_BELOW, m: int = 32,
                 ef_construction: int = 80, ef_search: int = 64, oversample: int = 2, compress: bool = False) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or not len(vectors):
            raise ConfigError(f"VectorIndex needs a non-empty (n_items, d) array; got shape {vectors.shape}")
        self.n_items = len(vectors)
        self.oversample = oversample
        self.ef_search = ef_search  # candidate list size when walking the graph; higher: better recall, slower
        self.graph: faiss.IndexHNSW | None = None
        if len(vectors) >= exact_below:
            self.graph = self._build_graph(vectors, m, compress)
            self.graph.hnsw.efConstruction = ef_construction
            self.graph.add(vectors)
        self.vectors: np.ndarray | None = vectors if self.graph is None else self._stored_floats(self.graph)

    @staticmethod
    def _stored_floats(graph: faiss.IndexHNSW) -> np.ndarray | None:
        """A view of the float vectors the graph stores (None for codes): re-scoring reads
        them there instead of from a second copy. The view keeps the graph alive."""
        storage = faiss.downcast_index(graph.storage)
        if not isinstance(storage, faiss.IndexFlat):
            return None
        raw = faiss.rev_swig_ptr(storage.get_xb(), graph.ntotal * graph.d).reshape(graph.ntotal, graph.d)
        return np.asarray(_GraphMemory(graph, raw))

    @staticmethod
    def _build_graph(vectors: np.ndarray, m: int, compress: bool) -> faiss.IndexHNSW:
        d = vectors.shape[1]
        if not compress:
            return faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
        graph = faiss.IndexHNSWSQ(d, faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(len(vectors), min(TRAIN_SAMPLE, len(vectors)), replace=False)
        graph.train(vectors[np.sort(sample)])
        return graph

    @property
    def memory_bytes(self) -> int:
        """Bytes the index holds: vectors or codes, plus the graph's links."""
        if self.graph is None:
            return self.vectors.nbytes
        hnsw = self.graph.hnsw
        codes = faiss.downcast_index(self.graph.storage).code_size * self.graph.ntotal
        return codes + 4 * hnsw.neighbors.size() + 8 * hnsw.offsets.size() + 4 * hnsw.levels.size()

    def __len__(self) -> int:
        return self.n_items

    @property
    def kind(self) -> str:
        if self.graph is None:
            return "exact"
        return "hnsw" if self.vectors is not None else "hnsw-int8"

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
        graph_scores, candidates = self.graph.search(queries, width, params=params)
        # Float vectors at hand: re-score the candidates exactly; compressed: the codes' scores.
        scores = graph_scores if self.vectors is None else self._exact_scores(queries, candidates)
        valid = candidates >= 0
        for row, items in enumerate(exclude):
            valid[row] &= ~np.isin(candidates[row], items)
        order, best = top_k(np.where(valid, scores, -np.inf).astype(np.float32), k)
        items = np.take_along_axis(candidates, order, axis=1)
        return np.where(np.isfinite(best), items, -1), best

    def _exact_scores(self, queries: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Inner products of each query with its candidates (-1 padding scored as item 0)."""
        return np.einsum("qd,qcd->qc", queries, self.vectors[np.maximum(candidates, 0)])
