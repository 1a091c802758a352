"""Simulation runs and the off-policy check on a small synthetic world."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.evaluation.off_policy import ESTIMATORS
from llm4rec.ranking.policies import POLICIES
from llm4rec.simulation.runner import METRICS, gini, off_policy_check, simulate


def test_gini_of_equal_and_concentrated_exposure():
    assert gini(np.ones(10)) == pytest.approx(0.0)
    assert gini(np.r_[np.zeros(9), 5.0]) == pytest.approx(0.9)
    assert gini(np.zeros(4)) == 0.0


def test_simulate_writes_every_metric_per_round_with_intervals_and_is_seeded(world):
    results = simulate(world, list(POLICIES), rounds=12, seeds=2)
    assert set(results) == set(POLICIES)
    for entry in results.values():
        for metric in METRICS:
            assert len(entry[metric]) == 12
            for value, (low, high) in zip(entry[metric], entry["ci95"][metric], strict=True):
                assert low - 1e-9 <= value <= high + 1e-9
        assert (np.diff(entry["cumulative_clicks"]) >= 0).all()
        assert (np.diff(entry["retention"]) <= 0).all()
    assert simulate(world, ["thompson"], rounds=12, seeds=2) == {"thompson": results["thompson"]}


def test_learning_policies_beat_random_in_a_small_seeded_simulation(world):
    results = simulate(world, ["random", "linucb", "thompson"], rounds=40, seeds=2)
    for name in ("linucb", "thompson"):
        assert results[name]["cumulative_clicks"][-1] > 1.1 * results["random"]["cumulative_clicks"][-1]


def test_off_policy_estimates_agree_with_the_simulators_truth(world):
    check = off_policy_check(world, ["random", "greedy", "epsilon", "mmr", "linucb"], rounds=60, seeds=8, pool=20)
    assert set(check) == {"random", "greedy", "epsilon", "mmr"}  # a learning policy cannot be replayed
    for name, entry in check.items():
        for estimator in ESTIMATORS:
            assert abs(entry[estimator]["mean"] - entry["truth"]["mean"]) < 0.2 * entry["truth"]["mean"], name
        assert sum(entry["within"].values()) >= 3
