"""Slate policies: valid slates, each policy's defining behaviour, and bandits that learn."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.errors import ConfigError
from llm4rec.ranking.policies import (
    POLICIES,
    EpsilonGreedyPolicy,
    GreedyPolicy,
    MMRPolicy,
    SlateContext,
    examination,
    make_policy,
)


def context(n: int = 50, m: int = 30, n_items: int = 100, seed: int = 0) -> SlateContext:
    rng = np.random.default_rng(seed)
    candidates = np.stack([rng.choice(n_items, m, replace=False) for _ in range(n)])
    available = rng.random((n, m)) > 0.2
    return SlateContext(np.arange(n), candidates, rng.normal(size=(n, m)).astype(np.float32), available,
                        np.zeros((n, m), np.float32))


@pytest.mark.parametrize("name", POLICIES)
def test_every_policy_shows_k_distinct_available_candidates(name):
    ctx = context()
    features = np.random.default_rng(1).normal(size=(100, 6)).astype(np.float32)
    columns = make_policy(name, features, 50).select(ctx, 10, np.random.default_rng(0))
    assert columns.shape == (50, 10)
    assert all(len(set(row)) == 10 for row in columns)
    assert np.take_along_axis(ctx.available, columns, axis=1).all()


def test_greedy_is_the_top_k_of_the_model_scores_in_order():
    ctx = context()
    columns = GreedyPolicy().select(ctx, 5, np.random.default_rng(0))
    for row, chosen in enumerate(columns):
        offered = np.flatnonzero(ctx.available[row])
        expected = offered[np.argsort(-ctx.scores[row, offered])][:5]
        assert list(chosen) == list(expected)


def test_epsilon_zero_is_greedy_and_epsilon_one_never_is():
    ctx = context()
    greedy = GreedyPolicy().select(ctx, 5, np.random.default_rng(0))
    assert (EpsilonGreedyPolicy(0.0).select(ctx, 5, np.random.default_rng(3)) == greedy).all()
    explored = EpsilonGreedyPolicy(1.0).select(ctx, 5, np.random.default_rng(3))
    assert not any(set(a) & set(b) for a, b in zip(explored, greedy, strict=True))
    share = (EpsilonGreedyPolicy(0.2).select(ctx, 5, np.random.default_rng(4)) != greedy).mean()
    assert 0.1 < share < 0.3
    with pytest.raises(ConfigError):
        EpsilonGreedyPolicy(1.5)


def test_mmr_trades_relevance_for_diversity():
    ctx = context()
    vectors = np.random.default_rng(2).normal(size=(100, 8)).astype(np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def mean_cosine(columns):
        chosen = unit[np.take_along_axis(ctx.candidates, columns, axis=1)]
        cosine = np.einsum("nid,njd->nij", chosen, chosen)
        left, right = np.triu_indices(columns.shape[1], 1)
        return cosine[:, left, right].mean()

    greedy = GreedyPolicy().select(ctx, 8, np.random.default_rng(0))
    assert (MMRPolicy(vectors, trade_off=1.0).select(ctx, 8, np.random.default_rng(0)) == greedy).all()
    diverse = MMRPolicy(vectors, trade_off=0.3).select(ctx, 8, np.random.default_rng(0))
    assert mean_cosine(diverse) < mean_cosine(greedy) - 0.05


@pytest.mark.parametrize("name", ["linucb", "thompson"])
def test_bandit_learns_what_the_base_model_does_not_know(name):
    """Clicks depend only on one item feature whose sign differs per user; the model
    scores are noise. After some rounds the bandit's slates must click far more than greedy's."""
    rng = np.random.default_rng(0)
    n_users, n_items, m, k = 40, 200, 60, 5
    features = rng.normal(size=(n_items, 4)).astype(np.float32)
    taste = np.where(np.arange(n_users) % 2 == 0, 1.0, -1.0)
    bandit = make_policy(name, features, n_users)
    greedy = GreedyPolicy()

    def click_rate(columns, ctx):
        items = np.take_along_axis(ctx.candidates, columns, axis=1)
        appeal = 1 / (1 + np.exp(-3 * taste[:, None] * features[items, 0] + 1))
        return examination(k)[None, :] * appeal

    rates = {"bandit": [], "greedy": []}
    for _ in range(40):
        candidates = np.stack([rng.choice(n_items, m, replace=False) for _ in range(n_users)])
        ctx = SlateContext(np.arange(n_users), candidates, rng.normal(size=(n_users, m)).astype(np.float32),
                           np.ones((n_users, m), bool), np.zeros((n_users, m), np.float32))
        columns = bandit.select(ctx, k, rng)
        probability = click_rate(columns, ctx)
        bandit.update(ctx, columns, rng.random(probability.shape) < probability)
        rates["bandit"].append(probability.mean())
        rates["greedy"].append(click_rate(greedy.select(ctx, k, rng), ctx).mean())
    assert np.mean(rates["bandit"][-10:]) > 1.5 * np.mean(rates["greedy"][-10:])


def test_unknown_policy_and_bad_settings_are_clear_errors():
    with pytest.raises(ConfigError, match="choose from"):
        make_policy("oracle", np.zeros((3, 2)), 1)
    with pytest.raises(ConfigError, match="Bad settings"):
        make_policy("greedy", np.zeros((3, 2)), 1, epsilon=0.1)
