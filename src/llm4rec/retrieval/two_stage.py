"""Two-stage recommendation for large catalogues: ANN candidates, then the model's exact scores.

Scoring every item for every request costs n_items x d per request (a million items: a 1M x d
product). For a model whose scores are inner products of a user vector with its item vectors
(`Recommender.user_vectors`: factor models, the text model, SASRec and the sequential hybrid),
stage one gathers candidates: the items with the largest inner product with the user's vector
(`VectorIndex`, an HNSW graph above its exact threshold), plus the items nearest to each of the
user's most recent items (item-to-item, which catches what a user vector smooths away). Stage
two scores the candidates exactly as the model does and keeps the top k, so only the candidate
set is approximate. Models without user vectors are served by exact scoring. The candidate
counts and the catalogue size from which the service uses this were chosen by
`benchmarks/two_stage.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from llm4rec.models.base import Recommender, top_k
from llm4rec.retrieval.index import VectorIndex

USER_CANDIDATES = 200  # nearest items to the user's vector
RECENT_ITEMS = 5  # most recent history items whose neighbours join the candidates
PER_RECENT_ITEM = 20
TWO_STAGE_FROM = 100_000  # catalogue size from which the service retrieves in two stages


def supports_two_stage(model: Recommender) -> bool:
    """Whether the model exposes the user and item vectors two-stage retrieval needs."""
    return model.item_embeddings() is not None and model.user_vectors([np.zeros(1, np.int64)]) is not None


class TwoStageRetriever:
    """Top-k by candidates from an index over the model's item vectors, scored exactly."""

    def __init__(self, model: Recommender, index: VectorIndex | None = None,
                 user_candidates: int = USER_CANDIDATES, recent_items: int = RECENT_ITEMS,
                 per_recent_item: int = PER_RECENT_ITEM) -> None:
        self.model = model
        self.items = np.ascontiguousarray(model.item_embeddings(), dtype=np.float32)
        self.index = index if index is not None else VectorIndex(self.items)
        self.user_candidates, self.recent_items, self.per_recent_item = user_candidates, recent_items, per_recent_item

    def recommend(self, histories: Sequence[np.ndarray], k: int = 10, users: np.ndarray | None = None,
                  exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (items, scores) per history as `Recommender.recommend` returns them."""
        histories = [np.asarray(h, dtype=np.int64) for h in histories]
        vectors = self.model.user_vectors(histories, users)
        seen = [np.unique(h) if exclude_seen else np.zeros(0, np.int64) for h in histories]
        from_user, _ = self.index.search(vectors, max(k, self.user_candidates), exclude=seen)
        items = np.full((len(histories), k), -1, dtype=np.int64)
        scores = np.full((len(histories), k), -np.inf, dtype=np.float32)
        for row, history in enumerate(histories):
            recent = np.unique(history[-self.recent_items:])
            near = (self.index.search(self.items[recent], self.per_recent_item, exclude=[seen[row]] * len(recent))[0]
                    if len(recent) else np.zeros((0, 0), np.int64))
            candidates = np.setdiff1d(np.concatenate([from_user[row], near.ravel()]), seen[row])
            candidates = candidates[candidates >= 0]  # the index pads short rows with -1
            exact = self.items[candidates] @ vectors[row]
            order, best = top_k(exact[None, :], min(k, len(candidates)))
            items[row, : order.shape[1]], scores[row, : order.shape[1]] = candidates[order[0]], best[0]
        return items, scores
