"""The service with an online policy: slates from the model's candidates, clicks from
POST /feedback, learning when the next slate is asked for, forgetting on DELETE."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from fastapi.testclient import TestClient

from llm4rec.ranking.online import OnlineReranker
from llm4rec.ranking.policies import GreedyPolicy, make_policy
from llm4rec.serving.app import create_app
from llm4rec.serving.engine import Engine
from llm4rec.serving.feedback_store import Event, FeedbackStore


def test_service_with_a_policy_serves_fresh_slates(settings, auth):
    with TestClient(create_app(replace(settings, policy="thompson")), headers=auth) as client:
        assert client.get("/health").json()["policy"] == "thompson"
        first = client.get("/recommend/1?k=5").json()
        assert len(first["items"]) == 5 and not first["cached"]
        assert not client.get("/recommend/1?k=5").json()["cached"]


def test_policy_slates_learn_from_feedback_and_forget_the_user(settings, ml100k_loo):
    engine = Engine(settings.bundle_path, FeedbackStore(settings.feedback_db), policy="linucb")
    reranker = engine.served.reranker
    user = ml100k_loo.train.users.index("1")
    seen = set(ml100k_loo.train.items.ids[ml100k_loo.train.histories()[user]])
    shown = engine.recommend_user("1", 5)[0].item_ids
    assert len(shown) == 5 and not seen & set(shown)
    personal_before = reranker.policy.personal.target[user].copy()
    engine.add_feedback([Event(user_id="1", item_id=shown[2])])
    assert reranker.open[user].clicks[0].tolist() == [False, False, True, False, False]
    second = engine.recommend_user("1", 5)[0].item_ids
    assert reranker.slates_learned == 1 and shown[2] not in second
    assert not np.allclose(reranker.policy.personal.target[user], personal_before)
    engine.forget_user("1")
    assert user not in reranker.open and user not in reranker.ignored
    assert np.allclose(reranker.policy.personal.target[user], reranker.policy.personal.prior_target)


def test_reranker_counts_ignored_impressions_and_only_clicks_on_shown_items():
    reranker = OnlineReranker(GreedyPolicy())
    candidates, scores = np.arange(10, 20), np.linspace(1, 0, 10)
    first = reranker.rerank(0, candidates, scores, 3)
    assert list(candidates[first]) == [10, 11, 12]
    assert not reranker.record_click(0, 19) and reranker.record_click(0, 11)
    reranker.rerank(0, candidates, scores, 3)
    assert dict(reranker.ignored[0]) == {10: 1, 12: 1}
    assert list(reranker.rerank(1, candidates, np.full(10, -np.inf), 3)) == []


def test_bandit_reranker_moves_ignored_items_down_once_it_has_learned_that_they_tire():
    """Clicks go only to items never shown before; after enough slates the shared model
    learns a negative weight on ignored impressions and fresh items rise."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(400, 4)).astype(np.float32)
    reranker = OnlineReranker(make_policy("linucb", features, 50), seed=0)
    shown_before: set[tuple[int, int]] = set()
    for _ in range(30):
        for user in range(50):
            candidates = rng.choice(400, 40, replace=False)
            chosen = candidates[reranker.rerank(user, candidates, rng.normal(size=40), 5)]
            for item in chosen:
                if (user, int(item)) not in shown_before and rng.random() < 0.5:
                    reranker.record_click(user, int(item))
                shown_before.add((user, int(item)))
    impressions_weight = reranker.policy.shared.posterior(np.zeros(1, np.int64))[0][0, 2]
    assert impressions_weight < -0.05
