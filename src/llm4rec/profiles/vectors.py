"""A user's profile vector: a recency-weighted mean of the embeddings of their items."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def recency_weights(length: int, half_life: float) -> np.ndarray:
    """Weight of each position in a history of `length` (oldest first): halves every
    `half_life` items back from the most recent; 0 means equal weights."""
    age = np.arange(length)[::-1]
    return np.ones(length) if half_life <= 0 else 0.5 ** (age / half_life)


def profile_vectors(histories: Sequence[np.ndarray], item_vectors: np.ndarray, half_life: float = 10.0,
                    extra: np.ndarray | None = None, extra_weight: float = 0.5) -> np.ndarray:
    """(n_users, d) unit profile vectors; `extra` (n_users, d), e.g. the user's own text
    (reviews, tags, searches written before the split point), is blended in with
    `extra_weight`. Users with nothing get a zero vector."""
    out = np.zeros((len(histories), item_vectors.shape[1]), np.float32)
    for row, history in enumerate(histories):
        if len(history):
            out[row] = recency_weights(len(history), half_life) @ item_vectors[history]
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    if extra is not None:
        out = out + extra_weight * extra
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out
