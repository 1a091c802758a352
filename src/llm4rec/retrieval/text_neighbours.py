"""Scores for items a model never met, from their text neighbours among the items it did meet.

A new item's score for a user is the similarity-weighted mean of the model's own scores of the
`neighbours` catalogue items nearest to it in text (weights: softmax of cosine / `temperature`).
The score is on the model's own scale, so any model (EASE, SASRec, a blend) ranks the new item
beside the items it knows without retraining, and the item's vector in the model's space is the
same mix of its neighbours' vectors (for `/similar`). This is the attribute-to-item mapping of
cold-start work (e.g. "learning to map attributes to collaborative vectors"), with the map being
the nearest neighbours in text rather than a trained regressor, so it needs no fit.
The defaults were chosen on validation cases of the item cold-start protocol (below).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Chosen on valid (ml-100k and amazon-office, EASE, the hybrid and SASRec; benchmarks/live_items.py):
# the setting that reached cold targets best among those costing no model more than 5 % of its
# NDCG@10 over every target. One neighbour reached them best but cost up to 41 %: copies of
# popular items crowd out the items people come back for.
NEIGHBOURS = 5
TEMPERATURE = 0.2


@dataclass(frozen=True)
class TextNeighbours:
    """For each new item, its nearest known items (`neighbours`, indices into the model's items)
    and their weights (rows sum to 1)."""

    neighbours: np.ndarray  # (n_new, m) int64, nearest first
    weights: np.ndarray  # (n_new, m) float32

    @classmethod
    def build(cls, new_vectors: np.ndarray, item_vectors: np.ndarray, known: np.ndarray,
              neighbours: int = NEIGHBOURS, temperature: float = TEMPERATURE) -> TextNeighbours:
        """Neighbours among the `known` items (indices into `item_vectors`); vectors are unit rows."""
        known = np.asarray(known, dtype=np.int64)
        if not len(known):
            raise ValueError("new items need at least one known item to be placed beside")
        m = min(neighbours, len(known))
        similarity = np.asarray(new_vectors, np.float32) @ np.asarray(item_vectors, np.float32)[known].T
        nearest = np.argpartition(-similarity, m - 1, axis=1)[:, :m]
        nearest = np.take_along_axis(nearest, np.argsort(-np.take_along_axis(similarity, nearest, axis=1), axis=1,
                                                         kind="stable"), axis=1)  # nearest first
        chosen = np.take_along_axis(similarity, nearest, axis=1)
        weights = np.exp((chosen - chosen.max(axis=1, keepdims=True)) / temperature)
        return cls(known[nearest], (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32))

    def __len__(self) -> int:
        return len(self.neighbours)

    def scores(self, model_scores: np.ndarray) -> np.ndarray:
        """(users, n_new) from the model's (users, n_items) scores."""
        return np.einsum("unm,nm->un", model_scores[:, self.neighbours], self.weights)

    def vectors(self, item_vectors: np.ndarray) -> np.ndarray:
        """(n_new, d): each new item as the weighted mix of its neighbours' vectors."""
        return np.einsum("nmd,nm->nd", item_vectors[self.neighbours], self.weights)
