"""ml-100k-loo figures match independent implementations of the same protocol (issue #3)."""

import pytest

from llm4rec.evaluation.protocol import tune_and_test


def test_popularity_matches_a_plain_count(ml100k_loo):
    result = tune_and_test("pop", ml100k_loo)
    assert result.test["HR@10"] == pytest.approx(0.0859, abs=0.0005)


def test_tuned_ease_matches_recbole_range(ml100k_loo):
    result = tune_and_test("ease", ml100k_loo)
    assert 0.130 <= result.test["HR@10"] <= 0.145
    assert 0.064 <= result.test["NDCG@10"] <= 0.074


@pytest.mark.parametrize("name", ["als", "bpr"])
def test_tuned_factorisation_reaches_reference(name, ml100k_loo):
    assert tune_and_test(name, ml100k_loo).test["HR@10"] >= 0.12
