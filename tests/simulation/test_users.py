"""The simulated user model: each assumption moves clicks the way the README says."""

from __future__ import annotations

import numpy as np

from llm4rec.simulation.users import SimulatedUsers, UserModelConfig, gaussianised_ranks


def test_gaussianised_ranks_keep_each_users_order_on_a_standard_scale():
    scores = np.random.default_rng(0).exponential(size=(5, 400)) ** 3  # heavy-tailed
    ranks = gaussianised_ranks(scores)
    assert (np.argsort(ranks, axis=1) == np.argsort(scores, axis=1)).all()
    assert abs(ranks.mean()) < 0.01 and abs(ranks.std() - 1) < 0.05


def users(config=None, n_users=200, n_items=40, seed=0):
    preference = np.tile(np.linspace(-2, 3, n_items), (n_users, 1))
    return SimulatedUsers(preference, np.arange(n_items) % 4, config or UserModelConfig(), seed)


def test_liked_items_and_top_positions_get_more_clicks():
    crowd = users()
    everyone = np.arange(crowd.n_users)
    best_first = np.tile(np.arange(39, 29, -1), (crowd.n_users, 1))
    clicks = crowd.respond(everyone, best_first)
    worst = users().respond(everyone, np.tile(np.arange(10), (crowd.n_users, 1)))
    assert clicks.mean() > 5 * max(worst.mean(), 1e-3)
    probability = users().click_probability(everyone, np.tile([39] * 10, (crowd.n_users, 1)))
    assert (np.diff(probability[0]) < 0).all()  # same item, lower position, fewer clicks


def test_ignored_impressions_and_satiation_lower_appeal():
    crowd = users(UserModelConfig(churn=0, boredom=0))
    everyone = np.arange(crowd.n_users)
    before = crowd.appeal(everyone, np.tile([20, 39], (crowd.n_users, 1)))
    for _ in range(5):
        crowd.respond(everyone, np.tile([20], (crowd.n_users, 1)))  # rarely clicked, often ignored
    after = crowd.appeal(everyone, np.tile([20, 39], (crowd.n_users, 1)))
    assert after[:, 0].mean() < before[:, 0].mean()
    topic_crowd = users(UserModelConfig(churn=0, boredom=0, annoyance=0, drift=0, reinforcement=0))
    clicked = topic_crowd.respond(everyone, np.tile([39, 35, 31], (topic_crowd.n_users, 1)))  # all topic 3
    sated = topic_crowd.appeal(everyone, np.tile([27], (topic_crowd.n_users, 1)))[:, 0]
    fresh = users().appeal(everyone, np.tile([27], (topic_crowd.n_users, 1)))[:, 0]
    assert (sated[clicked.any(axis=1)] < fresh[clicked.any(axis=1)]).all()


def test_bored_users_leave_and_reinforced_interests_narrow():
    crowd = users(UserModelConfig(churn=0, boredom=0.5))
    everyone = np.arange(crowd.n_users)
    for _ in range(5):
        crowd.respond(everyone, np.tile([0], (crowd.n_users, 1)))  # the least liked item, over and over
    assert crowd.active.mean() < 0.1
    narrowing = users(UserModelConfig(churn=0, boredom=0, drift=0, reinforcement=0.5))
    start = narrowing.interest_entropy(everyone).mean()
    for _ in range(20):
        narrowing.respond(everyone, np.tile([39, 35, 31, 27], (narrowing.n_users, 1)))  # one topic only
    assert narrowing.interest_entropy(everyone).mean() < start - 0.1
    assert start <= np.log2(4) + 1e-6
