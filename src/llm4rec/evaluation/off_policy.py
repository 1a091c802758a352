"""Off-policy estimates of a slate policy's click-through rate from logged slates.

Clicks are modelled per position (the position-based model: a click on the item at position
j depends on that item and j, not on its neighbours), so each logged slot is one sample
with its own propensity: the chance the logging policy put that item at that position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llm4rec.ranking.policies import SlateContext

SCORE_BUCKETS = 10


@dataclass
class LoggedSlates:
    """Slates a logging policy showed: contexts, chosen columns (n, k), the logging
    propensity of each chosen column at its position (n, k), and the clicks (n, k)."""

    contexts: SlateContext
    columns: np.ndarray
    propensities: np.ndarray
    clicks: np.ndarray


def _buckets(columns: np.ndarray, n_candidates: int) -> np.ndarray:
    """Candidate columns are in base-score order, so the column says how well the model
    ranked the item; buckets of equal width."""
    return np.minimum(columns * SCORE_BUCKETS // max(n_candidates, 1), SCORE_BUCKETS - 1)


def click_model(logged: LoggedSlates) -> np.ndarray:
    """Direct-method reward model: the mean logged click per (score bucket, position), with
    one pseudo-observation of the position's mean so empty cells stay sensible."""
    k = logged.columns.shape[1]
    bucket = _buckets(logged.columns, logged.contexts.candidates.shape[1])
    positions = np.broadcast_to(np.arange(k), bucket.shape)
    clicks = np.zeros((SCORE_BUCKETS, k))
    counts = np.zeros((SCORE_BUCKETS, k))
    np.add.at(clicks, (bucket, positions), logged.clicks)
    np.add.at(counts, (bucket, positions), 1.0)
    position_mean = logged.clicks.mean(axis=0)
    return (clicks + position_mean) / (counts + 1.0)


def estimate_ctr(logged: LoggedSlates, target_columns: np.ndarray) -> dict[str, float]:
    """Replay, IPS, self-normalised IPS and doubly-robust estimates of the click rate per slot
    of the policy that would have shown `target_columns` (n, k) in the logged contexts.

    A stochastic target is handled by passing one sampled slate per context: the indicator
    of a match is then an unbiased estimate of the target's own propensity.
    """
    match = target_columns == logged.columns
    clicks = logged.clicks.astype(np.float64)
    weights = match / logged.propensities
    model = click_model(logged)
    positions = np.broadcast_to(np.arange(match.shape[1]), match.shape)
    n_candidates = logged.contexts.candidates.shape[1]
    predicted_target = model[_buckets(target_columns, n_candidates), positions]
    predicted_logged = model[_buckets(logged.columns, n_candidates), positions]
    return {
        "replay": float(clicks[match].mean()) if match.any() else float("nan"),
        "ips": float((weights * clicks).mean()),
        "snips": float((weights * clicks).sum() / weights.sum()) if weights.sum() else float("nan"),
        "dr": float((predicted_target + weights * (clicks - predicted_logged)).mean()),
        "matched_slots": int(match.sum()),
    }


ESTIMATORS = ("replay", "ips", "snips", "dr")
