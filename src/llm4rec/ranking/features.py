"""Compact item feature vectors for the ranking stage's bandits and diversity reranker."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

DEFAULT_DIMENSION = 16


def compact_item_features(text_vectors: np.ndarray, side_features: np.ndarray | None = None,
                          dimension: int = DEFAULT_DIMENSION, seed: int = 0) -> np.ndarray:
    """(n_items, dimension) principal components of the items' text embeddings joined with
    their side features (genres, price...), scaled to unit variance per component.

    A bandit keeps a d x d posterior per user, so 384-d text vectors are reduced first;
    the leading components keep the broad topics a user's clicks can teach it.
    """
    parts = [np.asarray(text_vectors, np.float32)]
    if side_features is not None and side_features.shape[1]:
        side = np.asarray(side_features, np.float32)
        parts.append(side / max(float(np.linalg.norm(side, axis=1).mean()), 1e-9))
    joined = np.concatenate(parts, axis=1)
    dimension = min(dimension, *joined.shape)
    components = PCA(n_components=dimension, random_state=seed).fit_transform(joined)
    return (components / np.maximum(components.std(axis=0), 1e-9)).astype(np.float32)
