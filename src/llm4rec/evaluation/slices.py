"""Metric means on slices of the evaluation cases: target popularity and history length."""

from __future__ import annotations

import numpy as np

from llm4rec.evaluation.ranking import EvalCases

HEAD_SHARE = 0.2  # the most popular 20 % of interacted items are the head
HISTORY_BINS = ((0, 0), (1, 5), (6, 20), (21, 50), (51, 200), (201, None))
POPULARITY_ORDER = ("head", "long tail", "cold")


def _bin_name(low: int, high: int | None) -> str:
    return f"{low}" if low == high else (f"{low}-{high}" if high is not None else f">{low - 1}")


HISTORY_ORDER = tuple(_bin_name(low, high) for low, high in HISTORY_BINS)


def popularity_labels(cases: EvalCases) -> np.ndarray:
    """'cold' (no history interactions), 'head' (top 20 % of items by count) or 'long tail',
    by each case's first target."""
    counts = cases.history_part.item_counts()
    seen = np.sort(counts[counts > 0])
    threshold = seen[int(len(seen) * (1 - HEAD_SHARE))] if len(seen) else 1
    first = counts[np.array([t[0] for t in cases.targets])]
    return np.where(first == 0, "cold", np.where(first >= threshold, "head", "long tail"))


def history_labels(cases: EvalCases) -> np.ndarray:
    """History length bins such as '6-20'."""
    lengths = np.array([len(h) for h in cases.histories])
    labels = np.empty(len(lengths), dtype=object)
    for low, high in HISTORY_BINS:
        inside = (lengths >= low) & (lengths <= (high if high is not None else np.inf))
        labels[inside] = _bin_name(low, high)
    return labels


def slice_means(
    per_case: dict[str, np.ndarray], labels: np.ndarray, metrics: tuple[str, ...], order: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """For each label present, in `order`: the number of cases and the mean of each metric."""
    out = {}
    for label in (label for label in order if label in set(labels)):
        inside = labels == label
        out[str(label)] = {"cases": int(inside.sum())} | {m: float(per_case[m][inside].mean()) for m in metrics}
    return out
