"""Issue #4's accuracy bar on ml-100k-loo for the sequential hybrid (about 2 minutes: slow)."""

import pytest

from llm4rec.evaluation.protocol import tune_and_test


@pytest.mark.slow
def test_sequential_hybrid_reaches_the_ml100k_bar(ml100k_loo):
    result = tune_and_test("seqhybrid", ml100k_loo)
    assert result.test["NDCG@10"] >= 0.085 and result.test["HR@10"] >= 0.165
    assert result.fit_seconds < 300  # the 2-minute target itself lives in benchmarks, not here
