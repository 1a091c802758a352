"""Negative sampling for models trained against sampled negatives (sampled softmax).

- uniform: every known item equally likely;
- popularity: proportional to count ** exponent, with the log-Q correction (each logit minus
  the log of its sampling probability) so the sampled softmax still estimates the full one;
- hard: the target's nearest neighbours in text-embedding space, per training row, on top of
  the uniform ones: items that sound like what the user chose but were not chosen.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from llm4rec.errors import ConfigError
from llm4rec.models.base import top_k

Strategy = Literal["uniform", "popularity", "hard"]
NEIGHBOURS = 50  # text neighbours kept per item for hard negatives
HARD_PER_ROW = 16
BLOCK = 1024


def text_neighbours(vectors: np.ndarray, candidates: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """(n_items + 1, k) nearest candidates (shifted indices) by cosine; row 0 (padding) unused."""
    unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
    pool = unit[candidates - 1]
    k = min(k, len(candidates) - 1)
    out = np.zeros((len(vectors) + 1, max(k, 1)), dtype=np.int64)
    for start in range(0, len(vectors), BLOCK):
        similarity = unit[start : start + BLOCK] @ pool.T
        rows = np.arange(start, min(start + BLOCK, len(vectors)))
        own = np.searchsorted(candidates, rows + 1)
        is_candidate = (own < len(candidates)) & (candidates[np.minimum(own, len(candidates) - 1)] == rows + 1)
        similarity[np.flatnonzero(is_candidate), own[is_candidate]] = -np.inf  # not its own neighbour
        out[rows + 1] = candidates[top_k(similarity, k)[0]]
    return out


class NegativeSampler:
    """Draws negatives among `candidates` (shifted item indices of items seen in training)."""

    def __init__(self, strategy: Strategy, candidates: np.ndarray, counts: np.ndarray, exponent: float = 0.75,
                 text: np.ndarray | None = None) -> None:
        self.strategy, self.candidates = strategy, candidates
        if strategy == "hard" and text is None:
            raise ConfigError("Hard negatives need item text embeddings: use seqhybrid (use_text=True) or "
                              "choose negative_sampling='uniform' or 'popularity'.")
        weights = counts[candidates - 1].astype(np.float64) ** exponent if strategy == "popularity" \
            else np.ones(len(candidates))
        self.probability = weights / weights.sum()
        self.log_q = np.zeros(len(counts) + 1, dtype=np.float32)
        self.log_q[candidates] = np.log(self.probability * len(candidates))  # 0 for uniform
        self.neighbours = text_neighbours(text, candidates) if strategy == "hard" else None

    def shared(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n negatives shared by every row of a batch."""
        return self.candidates[rng.choice(len(self.candidates), size=n, p=self.probability)]

    def hard(self, targets: np.ndarray, rng: np.random.Generator, n: int = HARD_PER_ROW) -> np.ndarray | None:
        """(rows, n) text neighbours of each row's target, or None for the other strategies."""
        if self.neighbours is None:
            return None
        picks = rng.integers(0, self.neighbours.shape[1], size=(len(targets), n))
        return np.take_along_axis(self.neighbours[targets], picks, axis=1)
