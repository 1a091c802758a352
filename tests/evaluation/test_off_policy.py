"""Off-policy estimators on a case with a known answer: they must be unbiased."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.evaluation.off_policy import ESTIMATORS, LoggedSlates, estimate_ctr
from llm4rec.ranking.policies import SlateContext, examination


def logged_case(n: int, seed: int):
    """m candidates with known appeal, uniformly random slates of k, position-based clicks."""
    rng = np.random.default_rng(seed)
    m, k = 8, 3
    appeal = np.linspace(0.6, 0.05, m)
    columns = np.argsort(rng.random((n, m)), axis=1)[:, :k]
    clicks = rng.random((n, k)) < examination(k)[None, :] * appeal[columns]
    contexts = SlateContext(np.arange(n), np.tile(np.arange(m), (n, 1)), np.tile(-np.arange(m, dtype=np.float32),
                            (n, 1)), np.ones((n, m), bool), np.zeros((n, m), np.float32))
    return LoggedSlates(contexts, columns, np.full((n, k), 1.0 / m), clicks), appeal


@pytest.mark.parametrize("target", [[0, 1, 2], [5, 0, 7]])
def test_estimators_are_unbiased_for_a_deterministic_target(target):
    estimates = {e: [] for e in ESTIMATORS}
    for seed in range(20):
        logged, appeal = logged_case(4000, seed)
        result = estimate_ctr(logged, np.tile(target, (4000, 1)))
        for e in ESTIMATORS:
            estimates[e].append(result[e])
    truth = float((examination(3) * appeal[target]).mean())
    for e in ESTIMATORS:
        values = np.asarray(estimates[e])
        standard_error = values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - truth) < 4 * standard_error + 1e-3, e


def test_the_logging_policy_itself_is_estimated_by_its_own_mean_click():
    logged, _ = logged_case(2000, 0)
    result = estimate_ctr(logged, logged.columns)
    assert result["replay"] == pytest.approx(logged.clicks.mean())
    assert result["snips"] == pytest.approx(logged.clicks.mean())
    assert result["matched_slots"] == logged.clicks.size
