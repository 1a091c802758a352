"""Semantic IDs: each item as a short sequence of discrete codes learned from its text vector.

Residual k-means (RQ-KMeans, as in OneRec and RecBole's TIGER port): level 1 clusters the
vectors, level 2 clusters what level 1 left over (the residuals), and so on; items with similar
text share leading codes. A last level numbers the items that share every k-means code, so each
item's code sequence is unique (TIGER's collision level); items with identical text land there.
Clustering is scikit-learn's k-means; only the residual bookkeeping is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llm4rec.errors import ConfigError

MAX_FIT_ROWS = 200_000  # k-means learns from a sample this large; every item is then assigned


@dataclass(frozen=True)
class SemanticIds:
    """`codes` (n_items, levels + 1): k-means codes then the collision number; `codebooks`, one
    (codes, d) array per level, assign codes to vectors never seen (new items)."""

    codes: np.ndarray
    codebooks: list[np.ndarray]

    @property
    def vocabulary_sizes(self) -> list[int]:
        """How many distinct values each position of a code sequence can take."""
        return [len(book) for book in self.codebooks] + [int(self.codes[:, -1].max()) + 1]

    def statistics(self, vectors: np.ndarray) -> dict:
        """Codebook usage per level, collisions before the last level, and how much of the
        vectors' energy each level leaves unexplained (the reconstruction error)."""
        levels = []
        residual = vectors.astype(np.float32)
        energy = float(np.mean(np.sum(residual**2, axis=1))) or 1.0
        for level, book in enumerate(self.codebooks):
            residual = residual - book[self.codes[:, level]]
            counts = np.bincount(self.codes[:, level], minlength=len(book))
            used = counts[counts > 0] / len(self.codes)
            levels.append({"codebook_size": len(book), "codes_used": int((counts > 0).sum()),
                           "perplexity": round(float(np.exp(-(used * np.log(used)).sum())), 1),
                           "relative_error": round(float(np.mean(np.sum(residual**2, axis=1))) / energy, 4)})
        _, bucket_sizes = np.unique(self.codes[:, :-1], axis=0, return_counts=True)
        return {"items": len(self.codes), "levels": levels,
                "items_sharing_codes": int(bucket_sizes[bucket_sizes > 1].sum()),
                "largest_collision": int(bucket_sizes.max()),
                "collision_level_size": self.vocabulary_sizes[-1]}


def assign(vectors: np.ndarray, codebooks: list[np.ndarray]) -> np.ndarray:
    """(n, levels) k-means codes of each vector: nearest centroid, level by level on residuals."""
    residual = vectors.astype(np.float32)
    codes = np.empty((len(vectors), len(codebooks)), dtype=np.int64)
    for level, book in enumerate(codebooks):
        distances = (residual**2).sum(1, keepdims=True) - 2 * residual @ book.T + (book**2).sum(1)
        codes[:, level] = distances.argmin(1)
        residual = residual - book[codes[:, level]]
    return codes


def number_collisions(codes: np.ndarray) -> np.ndarray:
    """The collision number of each row: its rank among the earlier rows with the same codes."""
    _, group = np.unique(codes, axis=0, return_inverse=True)
    order = np.argsort(group, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    out = np.empty(len(codes), dtype=np.int64)
    out[order] = rank
    return out


def fit_semantic_ids(vectors: np.ndarray, levels: int = 3, codebook_size: int = 64,
                     fit_rows: np.ndarray | None = None, seed: int = 0) -> SemanticIds:
    """Learn `levels` codebooks of up to `codebook_size` codes on `fit_rows` of the vectors (all
    by default: pass the items met in training so later items are coded like new ones), then
    code every vector. A level never has more codes than distinct residuals to cluster."""
    from sklearn.cluster import KMeans

    if levels < 1 or codebook_size < 2:
        raise ConfigError(f"Semantic IDs need levels >= 1 and codebook_size >= 2; got {levels} and {codebook_size}")
    rng = np.random.default_rng(seed)
    rows = np.arange(len(vectors)) if fit_rows is None or not len(fit_rows) else np.asarray(fit_rows)
    if len(rows) > MAX_FIT_ROWS:
        rows = rng.choice(rows, MAX_FIT_ROWS, replace=False)
    residual = vectors[rows].astype(np.float64)
    codebooks = []
    for _ in range(levels):
        distinct = len(np.unique(residual.round(6), axis=0))
        clusters = max(1, min(codebook_size, distinct))
        kmeans = KMeans(clusters, n_init=1, random_state=int(rng.integers(2**31))).fit(residual)
        codebooks.append(kmeans.cluster_centers_.astype(np.float32))
        residual = residual - kmeans.cluster_centers_[kmeans.labels_]
    codes = assign(vectors, codebooks)
    return SemanticIds(np.column_stack([codes, number_collisions(codes)]), codebooks)
