"""Ranking metrics from target ranks (ties counted against the target)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def target_ranks(scores: np.ndarray, rows: np.ndarray, items: np.ndarray) -> np.ndarray:
    """1-based rank of each (row, item) target: the number of items scoring at least as high,
    the target itself included. Ties count against the target, so a constant-score model
    ranks every target last and cannot look good."""
    target_scores = scores[rows, items]
    return (scores[rows] >= target_scores[:, None]).sum(axis=1)


def mean_ndcg(ranks: np.ndarray, k: int = 10) -> float:
    """Mean NDCG@k of cases with one target each, from the targets' ranks (np.inf: not listed)."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return float(np.mean(np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0))) if len(ranks) else 0.0


def case_metrics(ranks: np.ndarray, cases: np.ndarray, n_cases: int, ks: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Per-case HR, Recall, Precision, F1, NDCG and MRR at each k.

    `ranks[j]` is the rank of the j-th target and `cases[j]` the case it belongs to; a case
    with several targets (temporal or holdout splits) is scored against all of them.
    """
    n_targets = np.bincount(cases, minlength=n_cases).astype(np.float64)
    out: dict[str, np.ndarray] = {}
    for k in ks:
        hit = ranks <= k
        hits = np.bincount(cases, weights=hit, minlength=n_cases)
        dcg = np.bincount(cases, weights=hit / np.log2(ranks + 1.0), minlength=n_cases)
        ideal = np.array([np.sum(1.0 / np.log2(np.arange(2, min(t, k) + 2)))
                          for t in range(int(n_targets.max(initial=0)) + 1)])
        first = np.full(n_cases, np.inf)
        np.minimum.at(first, cases, ranks)
        recall = np.divide(hits, n_targets, out=np.zeros(n_cases), where=n_targets > 0)
        precision = hits / k
        out[f"HR@{k}"] = (hits > 0).astype(np.float64)
        out[f"Recall@{k}"] = recall
        out[f"Precision@{k}"] = precision
        out[f"F1@{k}"] = np.divide(2 * precision * recall, precision + recall,
                                   out=np.zeros(n_cases), where=(precision + recall) > 0)
        idcg = ideal[n_targets.astype(np.int64)]
        out[f"NDCG@{k}"] = np.divide(dcg, idcg, out=np.zeros(n_cases), where=idcg > 0)
        out[f"MRR@{k}"] = np.where(first <= k, 1.0 / first, 0.0)
    return out


def coverage(top_items: np.ndarray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    return len(np.unique(top_items)) / n_items if n_items else 0.0


def novelty(top_items: np.ndarray, item_counts: np.ndarray, n_users: int) -> float:
    """Mean self-information -log2 p(i) of recommended items, p smoothed: (count+1)/(users+1)."""
    probability = (item_counts[top_items] + 1.0) / (n_users + 1.0)
    return float(np.mean(-np.log2(probability))) if top_items.size else 0.0


def intra_list_diversity(top_items: np.ndarray, item_vectors: sp.csr_matrix, lists_per_batch: int = 256) -> float:
    """Mean pairwise (1 - cosine) within each list; `item_vectors` rows are L2-normalised.

    Lists go in batches: the cosines among a batch's distinct items come from one sparse
    product, so memory stays bounded however popular (dense) the recommended items' rows are.
    """
    n_lists, k = top_items.shape
    if k < 2 or n_lists == 0:
        return 0.0
    left, right = np.triu_indices(k, 1)
    total = 0.0
    for start in range(0, n_lists, lists_per_batch):
        unique, local = np.unique(top_items[start:start + lists_per_batch], return_inverse=True)
        local = local.reshape(-1, k)
        vectors = item_vectors[unique]
        cosine = (vectors @ vectors.T).toarray()
        total += float((1.0 - cosine[local[:, left], local[:, right]]).sum())
    return total / (n_lists * len(left))
