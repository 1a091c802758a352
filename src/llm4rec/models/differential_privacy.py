"""Differentially private item co-occurrence: per-user clipping plus calibrated Gaussian noise.

Each user's contribution to the Gram matrix X'X is the outer product of their row; rows are
scaled so that this contribution has Frobenius norm at most `clip`, which bounds the
sensitivity of X'X to adding or removing one user by `clip`. The upper triangle (with the
diagonal) gets Gaussian noise whose scale comes from the analytic Gaussian mechanism (Balle &
Wang 2018), exact for every epsilon rather than only epsilon < 1, and is mirrored; anything
computed from the result (its positive semi-definite projection, EASE's weights) is
(epsilon, delta)-DP by post-processing.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from pydantic import Field
from scipy.stats import norm

from llm4rec.models.base import ModelConfig


class PrivacyConfig(ModelConfig):
    """Settings of the private mode shared by the item-item models; recorded in their bundle."""

    dp_epsilon: float | None = Field(None, gt=0, description="train with (epsilon, dp_delta)-differential "
                                     "privacy for every user; None: no privacy guarantee")
    dp_delta: float = Field(1e-5, gt=0, lt=1)
    dp_clip: float = Field(100.0, gt=0, description="bound on one user's contribution (Frobenius norm)")
    dp_seed: int = 0

    def gram(self, matrix: sp.csr_matrix) -> np.ndarray:
        """X'X as a dense float64 array: exact, or private when dp_epsilon is set."""
        if self.dp_epsilon is None:
            return (matrix.T @ matrix).toarray().astype(np.float64)
        return private_gram(matrix, self.dp_epsilon, self.dp_delta, self.dp_clip, self.dp_seed)


def gaussian_sigma(epsilon: float, delta: float, sensitivity: float) -> float:
    """The smallest noise scale giving (epsilon, delta)-DP for an L2 sensitivity (analytic
    Gaussian mechanism), by bisection on its privacy-loss condition."""
    def delta_of(sigma: float) -> float:
        a, b = sensitivity / (2 * sigma), epsilon * sigma / sensitivity
        return norm.cdf(a - b) - np.exp(epsilon) * norm.cdf(-a - b)

    low, high = 1e-6 * sensitivity, 1e3 * sensitivity * max(1.0, 1.0 / epsilon)
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if delta_of(middle) > delta else (low, middle)
    return high


def private_gram(matrix: sp.csr_matrix, epsilon: float, delta: float, clip: float, seed: int) -> np.ndarray:
    """(epsilon, delta)-DP estimate of X'X (float64, symmetric) from a binary user x item X."""
    counts = np.diff(matrix.indptr).astype(np.float64)
    scale = np.minimum(1.0, np.sqrt(clip / np.maximum(counts, 1.0)))  # ||w^2 x x'||_F = w^2 n_u <= clip
    clipped = sp.diags(scale) @ matrix
    gram = (clipped.T @ clipped).toarray().astype(np.float64)
    sigma = gaussian_sigma(epsilon, delta, clip)
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=gram.shape)
    upper = np.triu(noise)
    noisy = gram + upper + np.triu(upper, 1).T
    # Post-processing (no privacy cost): the nearest positive semi-definite matrix, so that
    # any L2 penalty gives a solvable system however large the noise.
    values, vectors = np.linalg.eigh(noisy)
    return (vectors * np.maximum(values, 0.0)) @ vectors.T
