"""Bootstrap confidence intervals over evaluation cases (users)."""

from __future__ import annotations

import numpy as np

N_RESAMPLES = 1000


def bootstrap_ci(values: np.ndarray, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of the mean of per-case values, resampling cases."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(N_RESAMPLES, len(values)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def paired_difference_ci(a: np.ndarray, b: np.ndarray, level: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Mean of a - b over the same cases with its bootstrap interval; `significant` when the
    interval excludes zero."""
    difference = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    low, high = bootstrap_ci(difference, level, seed)
    return {"mean": float(difference.mean()), "low": low, "high": high,
            "significant": bool(low > 0 or high < 0)}
