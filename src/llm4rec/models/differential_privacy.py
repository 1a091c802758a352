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
from scipy.stats import norm


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
