"""EASE with differential privacy: calibrated noise, guarantee recorded, utility falls with epsilon."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import norm

from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.differential_privacy import gaussian_sigma, private_gram
from llm4rec.models.ease import EASE


@pytest.mark.parametrize("epsilon", [0.5, 1.0, 4.0, 16.0])
def test_sigma_meets_the_analytic_gaussian_condition_tightly(epsilon):
    delta, sensitivity = 1e-5, 3.0
    sigma = gaussian_sigma(epsilon, delta, sensitivity)

    def achieved(s: float) -> float:
        a, b = sensitivity / (2 * s), epsilon * s / sensitivity
        return norm.cdf(a - b) - np.exp(epsilon) * norm.cdf(-a - b)

    assert achieved(sigma) <= delta < achieved(0.99 * sigma)
    if epsilon < 1:  # never noisier than the classic mechanism where that one is valid
        assert sigma <= sensitivity * np.sqrt(2 * np.log(1.25 / delta)) / epsilon


def test_private_gram_is_symmetric_psd_and_noisier_for_smaller_epsilon(ml100k_loo):
    matrix = ml100k_loo.train.matrix()
    exact = (matrix.T @ matrix).toarray()
    errors = []
    for epsilon in (1.0, 16.0):
        noisy = private_gram(matrix, epsilon, 1e-5, clip=25.0, seed=0)
        assert np.allclose(noisy, noisy.T) and np.linalg.eigvalsh(noisy).min() > -1e-6
        errors.append(np.abs(noisy - exact).mean())
    assert errors[0] > errors[1]


def test_dp_ease_records_its_guarantee_and_trades_utility_for_privacy(ml100k_loo, tmp_path):
    cases = EvalCases.build(ml100k_loo.train, ml100k_loo.valid)
    ndcg = {}
    for epsilon in (1.0, None):
        model = EASE(l2=5000.0 if epsilon else 150.0, dp_epsilon=epsilon, dp_clip=25.0).fit(ml100k_loo.train)
        ndcg[epsilon] = evaluate(model, cases, (10,)).summary["NDCG@10"]
        if epsilon:
            manifest = json.loads((model.save(tmp_path / "dp") / "manifest.json").read_text())
            assert manifest["params"]["dp_epsilon"] == 1.0 and manifest["params"]["dp_delta"] == 1e-5
    assert ndcg[1.0] < ndcg[None]


def test_private_itemknn_is_noisier_than_exact(ml100k_loo):
    from llm4rec.models.itemknn import ItemKNN

    cases = EvalCases.build(ml100k_loo.train, ml100k_loo.valid)
    exact = ItemKNN(k=200, shrink=10.0).fit(ml100k_loo.train)
    private = ItemKNN(k=200, shrink=100.0, dp_epsilon=1.0, dp_clip=25.0).fit(ml100k_loo.train)
    assert private.params["dp_epsilon"] == 1.0
    assert evaluate(private, cases, (10,)).summary["NDCG@10"] < evaluate(exact, cases, (10,)).summary["NDCG@10"]
