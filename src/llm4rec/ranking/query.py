"""Natural-language queries: the query's embedding blended with the user's profile and a
model's scores."""

from __future__ import annotations

import numpy as np

from llm4rec.models.hybrid import row_zscore

DEFAULT_QUERY_WEIGHT = 0.5


def query_scores(
    query_vector: np.ndarray,
    item_vectors: np.ndarray,
    model_scores: np.ndarray | None = None,
    profile_vector: np.ndarray | None = None,
    query_weight: float = DEFAULT_QUERY_WEIGHT,
) -> np.ndarray:
    """(n_items,) scores: query_weight * z(query similarity) plus the rest of the weight
    split evenly over z(model scores) and z(profile similarity), whichever are given.

    An anonymous visitor (no model scores, no profile) is ranked by the query alone.
    """
    if not 0 <= query_weight <= 1:
        raise ValueError(f"query_weight must be in [0, 1]; got {query_weight}")
    parts = [(query_weight, item_vectors @ query_vector)]
    others = [s for s in (model_scores, None if profile_vector is None else item_vectors @ profile_vector)
              if s is not None]
    if not others:
        return parts[0][1].astype(np.float32)
    parts += [((1 - query_weight) / len(others), s) for s in others]
    return sum(w * row_zscore(s[None, :].astype(np.float64))[0] for w, s in parts).astype(np.float32)
