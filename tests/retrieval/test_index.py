"""Exact and HNSW top-k over item vectors."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from llm4rec.errors import ConfigError
from llm4rec.retrieval.index import VectorIndex


def clustered(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors around 50 centres varying along 8 directions: shaped like real item
    embeddings (low intrinsic dimension), not uniform noise, which no catalogue looks like."""
    shared = np.random.default_rng(0)
    centres, directions = shared.normal(size=(50, d)), shared.normal(size=(8, d)) / np.sqrt(8)
    rng = np.random.default_rng(seed)
    vectors = centres[rng.integers(0, 50, n)] + 0.5 * rng.normal(size=(n, 8)) @ directions
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_exact_search_is_the_matrix_product_top_k_without_excluded_items():
    vectors = clustered(500)
    index = VectorIndex(vectors)
    assert index.kind == "exact"
    items, scores = index.search(vectors[:3], k=5, exclude=[np.array([0]), np.array([1]), np.array([], int)])
    full = vectors[:3] @ vectors.T
    full[0, 0] = full[1, 1] = -np.inf
    assert np.array_equal(items, np.argsort(-full, axis=1)[:, :5])
    assert np.allclose(scores, np.take_along_axis(full, items, axis=1))


def test_hnsw_recall_and_exact_scores_of_what_it_returns():
    vectors = clustered(20_000)
    queries = clustered(200, seed=1)
    index = VectorIndex(vectors, exact_below=10_000)
    assert index.kind == "hnsw"
    approximate, scores = index.search(queries, k=10)
    exact, _ = VectorIndex(vectors).search(queries, k=10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact, strict=True)])
    assert recall >= 0.95
    assert np.allclose(scores, np.einsum("qd,qkd->qk", queries, vectors[approximate]), atol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


def test_hnsw_never_returns_excluded_items():
    vectors = clustered(12_000)
    index = VectorIndex(vectors, exact_below=10_000)
    seen = np.arange(0, 12_000, 3)
    items, _ = index.search(vectors[:1], k=20, exclude=[seen])
    assert not set(items[0]) & set(seen)


def test_empty_vectors_are_refused():
    with pytest.raises(ConfigError, match="non-empty"):
        VectorIndex(np.zeros((0, 8)))


def test_compressed_index_keeps_codes_not_floats_and_still_finds_the_neighbours():
    vectors = clustered(20_000)
    queries = clustered(200, seed=1)
    index = VectorIndex(vectors, exact_below=10_000, compress=True)
    assert index.kind == "hnsw-int8" and index.vectors is None and len(index) == 20_000
    approximate, scores = index.search(queries, k=10)
    exact, exact_scores = VectorIndex(vectors).search(queries, k=10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact, strict=True)])
    assert recall >= 0.9
    assert np.abs(scores - exact_scores).max() < 0.05  # 8-bit codes: close to, not equal to, the floats
    seen = np.arange(0, 20_000, 3)
    items, _ = index.search(queries[:1], k=20, exclude=[seen])
    assert not set(items[0]) & set(seen)


def test_hnsw_keeps_one_copy_of_the_vectors_and_codes_take_a_quarter_of_the_memory():
    vectors = clustered(12_000)
    flat = VectorIndex(vectors, exact_below=10_000)
    assert not np.shares_memory(flat.vectors, vectors) and np.array_equal(flat.vectors, vectors)
    del vectors  # the index re-scores from the graph's own copy
    assert flat.search(flat.vectors[:1], k=1)[0][0, 0] == 0
    kept, expected = flat.vectors, flat.vectors.copy()
    del flat
    gc.collect()
    assert np.array_equal(kept, expected)  # the view keeps the graph's memory alive
    flat = VectorIndex(expected, exact_below=10_000)
    compressed = VectorIndex(flat.vectors, exact_below=10_000, compress=True)
    links = flat.memory_bytes - flat.vectors.nbytes
    assert compressed.memory_bytes - links == flat.vectors.nbytes // 4
