"""Negative samplers: uniform, popularity with log-Q, hard text neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.errors import ConfigError, DataError
from llm4rec.models.negatives import NegativeSampler, text_neighbours


def test_uniform_and_popularity_draws_and_their_log_q():
    candidates = np.array([1, 2, 3, 4])  # shifted indices
    counts = np.array([1, 1, 1, 97])
    rng = np.random.default_rng(0)
    uniform = NegativeSampler("uniform", candidates, counts)
    assert not uniform.log_q.any() and set(uniform.shared(500, rng)) == {1, 2, 3, 4}
    popular = NegativeSampler("popularity", candidates, counts, exponent=1.0)
    draws = popular.shared(10_000, rng)
    assert 0.95 < (draws == 4).mean() < 0.99
    assert popular.log_q[4] == pytest.approx(np.log(0.97 * 4), rel=1e-5) and popular.log_q[1] < 0
    assert uniform.hard(np.array([1, 2]), rng) is None


def test_hard_negatives_are_the_targets_text_neighbours():
    vectors = np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99], [-1.0, 0.0]])
    candidates = np.arange(1, 6)
    neighbours = text_neighbours(vectors, candidates, k=1)
    assert neighbours[1:, 0].tolist() == [2, 1, 4, 3, 3]  # nearest other item, never itself
    sampler = NegativeSampler("hard", candidates, np.ones(5), text=vectors)
    hard = sampler.hard(np.array([3, 3]), np.random.default_rng(0), n=4)
    assert hard.shape == (2, 4) and not (hard == 3).any()


def test_hard_negatives_need_text():
    with pytest.raises(ConfigError, match="text embeddings"):
        NegativeSampler("hard", np.arange(1, 4), np.ones(3))


def test_a_sequential_model_trains_with_popularity_negatives(ml100k_loo):
    from llm4rec.models.sequential import SequentialRecommender

    model = SequentialRecommender(negatives=64, negative_sampling="popularity", max_epochs=1, hidden=16, layers=1)
    model.fit(ml100k_loo.train)
    scores = model.score(ml100k_loo.train.histories()[:5])
    assert np.isfinite(scores).all() and scores.shape == (5, ml100k_loo.train.n_items)
    with pytest.raises(ConfigError, match="text embeddings"):
        SequentialRecommender(negatives=64, negative_sampling="hard", max_epochs=1).fit(ml100k_loo.train)


def test_sampled_bpr_uses_each_sampler_and_reads_weights(ml100k_loo):
    from llm4rec.feedback.weights import mine_weights
    from llm4rec.models.matrix_factorization import SampledBPR

    train = ml100k_loo.train
    histories = train.histories()[:10]
    scores = {}
    for strategy in ("uniform", "popularity", "hard"):
        model = SampledBPR(negative_sampling=strategy, epochs=2).fit(train, ml100k_loo.catalog)
        scores[strategy] = model.score(histories, users=np.arange(10))
        assert np.isfinite(scores[strategy]).all()
    assert not np.allclose(scores["uniform"], scores["popularity"])
    with pytest.raises(DataError, match="no item catalogue"):
        SampledBPR(negative_sampling="hard", epochs=1).fit(train)
    mined, _ = mine_weights(train)
    weighted = SampledBPR(epochs=2, weighted=True).fit(mined).score(histories, users=np.arange(10))
    assert not np.allclose(weighted, SampledBPR(epochs=2).fit(mined).score(histories, users=np.arange(10)))


def test_sampled_bpr_negatives_are_drawn_then_text_neighbours():
    from llm4rec.models.matrix_factorization import SampledBPR

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 8))
    sampler = NegativeSampler("hard", np.arange(1, 31), np.ones(30), text=vectors)
    negatives = SampledBPR._negatives(sampler, np.array([0, 5, 7]), rng)
    assert negatives.shape == (3, 1 + 16) and negatives.min() >= 0 and negatives.max() < 30
    plain = SampledBPR._negatives(NegativeSampler("uniform", np.arange(1, 31), np.ones(30)), np.array([0, 5]), rng)
    assert plain.shape == (2, 1)
