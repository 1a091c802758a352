"""New items live: POST /items places an item by its text at once, durably (issue: live at scale)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from llm4rec.retrieval.text_neighbours import TextNeighbours
from llm4rec.serving.app import create_app
from llm4rec.serving.bundle import load_bundle
from llm4rec.serving.engine import Engine
from llm4rec.serving.feedback_store import FeedbackStore
from llm4rec.serving.retraining import retrain

USER = "1"


def copy_of(ml100k_loo, item_id: str) -> dict:
    """A catalogue row's fields as a new item's (so its text is the row's text)."""
    row = ml100k_loo.catalog.raw.loc[item_id]
    return {name: value for name, value in row.items() if isinstance(value, str) and value}


def test_a_new_item_is_ranked_at_once_and_after_a_restart(settings, auth, ml100k_loo):
    with TestClient(create_app(settings), headers=auth) as client:
        top = client.get(f"/recommend/{USER}", params={"k": 1}).json()["items"][0]
        receipt = client.post("/items", json={"item_id": "new-1", "fields": copy_of(ml100k_loo, top["item_id"])})
        assert receipt.status_code == 200 and receipt.json() == {"stored": 1, "live_items": 1}
        ranked = client.get(f"/recommend/{USER}", params={"k": 1000}).json()["items"]
        new = next(item for item in ranked if item["item_id"] == "new-1")
        # a copy of the user's top item reads exactly like it, and scores as a mix of it and its next neighbours
        assert ranked[-1]["score"] < new["score"] <= top["score"]
        assert client.get("/similar/new-1", params={"k": 3}).json()["items"][0]["item_id"] == top["item_id"]
        title = top["title"]
        assert "new-1" in [hit["item_id"] for hit in client.get("/items", params={"q": title}).json()]
        client.post("/feedback", json={"user_id": USER, "item_id": "new-1"})  # seen: no longer recommended
        assert "new-1" not in [i["item_id"] for i in client.get(f"/recommend/{USER}", params={"k": 5}).json()["items"]]

    served = Engine(settings.bundle_path, FeedbackStore(settings.feedback_db)).served  # the store replayed
    explained = served.explain(USER, served.user_history(USER), ["new-1"])["recommendations"][0]
    assert explained["explanation"].startswith("New in the catalogue, and its description reads most like")
    assert explained["evidence"]["text_neighbours"] == [top["item_id"]]

    with TestClient(create_app(settings), headers=auth) as client:  # a restart replays the item and the event
        assert "new-1" in [i["item_id"] for i in client.get("/recommend/2", params={"k": 1000}).json()["items"]]
        assert "new-1" not in [i["item_id"] for i in client.get(f"/recommend/{USER}", params={"k": 1000})
                               .json()["items"]]
        liked = client.post("/recommend", json={"items": ["new-1"], "k": 5})
        assert liked.status_code == 200 and "new-1" not in [i["item_id"] for i in liked.json()["items"]]


def test_new_items_are_checked_before_they_are_stored(settings, auth, client):
    assert client.post("/items", json={"item_id": "x", "fields": {"title": "X"}}).status_code == 403  # read key
    with TestClient(create_app(settings), headers=auth) as writer:
        existing = writer.post("/items", json={"item_id": "50", "fields": {"title": "Star Wars"}})
        assert existing.status_code == 409 and "already in the served catalogue" in existing.json()["detail"]
        unknown = writer.post("/items", json={"item_id": "x", "fields": {"colour": "red"}})
        assert unknown.status_code == 409 and "'title'" in unknown.json()["detail"]  # names the columns there are
        empty = writer.post("/items", json={"item_id": "x", "fields": {}})
        assert empty.status_code == 409 and "no text" in empty.json()["detail"]
        nan = writer.post("/items", content='{"item_id": "x", "fields": {"year": NaN}}',
                          headers={"Content-Type": "application/json"})
        assert nan.status_code == 422
        assert writer.get("/items", params={"q": "colour"}).json() == []  # nothing refused was stored


def test_text_neighbours_weigh_the_nearest_items():
    vectors = np.eye(4, dtype=np.float32)
    new = np.array([[0.9, 0.1, 0.0, 0.0]], dtype=np.float32)
    placed = TextNeighbours.build(new, vectors, known=np.array([1, 2, 3]), neighbours=2, temperature=0.05)
    assert placed.neighbours[0, np.argmax(placed.weights[0])] == 1  # item 0 is not known: never a neighbour
    assert np.isclose(placed.weights.sum(), 1.0)
    scores = np.array([[10.0, 2.0, 4.0, 6.0]])
    assert 2.0 <= placed.scores(scores)[0, 0] <= 6.0


def test_retraining_moves_an_added_item_with_feedback_into_the_catalogue(settings, auth, ml100k_loo):
    with TestClient(create_app(settings), headers=auth) as client:
        client.post("/items", json={"items": [{"item_id": "new-1", "fields": copy_of(ml100k_loo, "50")},
                                              {"item_id": "new-2", "fields": copy_of(ml100k_loo, "181")}]})
        events = [{"user_id": str(user), "item_id": "new-1", "timestamp": 900_000_000 + user}
                  for user in range(1, 31)]
        assert client.post("/feedback", json={"events": events}).json()["applied"] == 30

    outcome = retrain(settings.bundle_path, settings.feedback_db, tolerance=1.0)
    assert outcome.published and outcome.items_added == 1 and outcome.events_skipped == 0
    assert "new-1" in load_bundle(outcome.folder).interactions.items  # new-2 has no feedback: still live

    with TestClient(create_app(settings), headers=auth) as client:
        client.post("/admin/reload")
        assert client.get("/similar/new-1").status_code == 200
        assert client.post("/items", json={"item_id": "new-3", "fields": {"title": "A new film"}}).json() == {
            "stored": 1, "live_items": 2}  # new-2 and new-3; new-1 is an ordinary item now


def test_a_conversation_can_refine_from_an_item_added_live(settings, auth, ml100k_loo):
    from llm4rec.serving.conversation import Conversation

    with TestClient(create_app(settings), headers=auth) as client:
        client.post("/items", json={"item_id": "new-1", "fields": copy_of(ml100k_loo, "50")})
    served = Engine(settings.bundle_path, FeedbackStore(settings.feedback_db)).served
    conversation = Conversation(served)
    conversation.turn("a space adventure")
    conversation.shown = ["new-1", *conversation.shown[1:]]  # as if the new item had come first
    assert conversation.turn("why #1?").message.startswith(copy_of(ml100k_loo, "50")["title"])
    assert "new-1" not in conversation.turn("more like the first one").ranked.item_ids
    assert conversation.turn("newer").ranked is not None


def test_with_items_added_live_the_catalogue_is_scored_once_per_request(settings, auth, ml100k_loo, monkeypatch):
    with TestClient(create_app(settings), headers=auth) as client:
        client.post("/items", json={"item_id": "new-1", "fields": copy_of(ml100k_loo, "50")})
    served = Engine(settings.bundle_path, FeedbackStore(settings.feedback_db)).served
    model, history = served.bundle.model, served.user_history(USER)
    expected_items, expected_scores = model.recommend([history], 10)  # the catalogue's top 10, as before
    live_score = served.live.placement.scores(model.score([history]))[0][0]
    calls = []
    score = type(model).score
    monkeypatch.setattr(type(model), "score", lambda self, *a, **kw: calls.append(1) or score(self, *a, **kw))
    ranked = served.recommend_user(USER, 11)
    assert len(calls) == 1
    merged = sorted([*zip(expected_scores[0], served.item_ids[expected_items[0]], strict=True), (live_score, "new-1")],
                    key=lambda pair: -pair[0])
    assert ranked.item_ids == [item for _, item in merged][:11]
    assert np.allclose(ranked.scores, [round(float(s), 6) for s, _ in merged][:11])


def test_every_users_list_in_batches_is_the_services_answer(settings, auth, ml100k_loo):
    """`batch-recommend` over the live state batches users through the model; each row must still
    be what GET /recommend answers: items added live merged in, feedback (new users too) read."""
    with TestClient(create_app(settings), headers=auth) as client:
        top = client.get(f"/recommend/{USER}", params={"k": 1}).json()["items"][0]
        client.post("/items", json={"item_id": "new-1", "fields": copy_of(ml100k_loo, top["item_id"])})
        client.post("/feedback", json={"events": [{"user_id": USER, "item_id": "new-1"},
                                                  {"user_id": "2", "item_id": top["item_id"]},
                                                  {"user_id": "visitor", "item_id": top["item_id"]}]})
    served = Engine(settings.bundle_path, FeedbackStore(settings.feedback_db)).served
    table = served.recommend_everyone(10)
    assert table["user_id"].nunique() == ml100k_loo.train.n_users + 1  # the visitor from feedback too
    assert (table["item_id"] == "new-1").any()  # the item added live reaches some lists
    for user_id, rows in table.groupby("user_id", sort=False):
        answer = served.recommend_user(user_id, 10)
        assert list(rows.sort_values("rank")["item_id"]) == answer.item_ids, user_id
        assert list(rows.sort_values("rank")["score"]) == pytest.approx(answer.scores, abs=1e-5)  # float32 sums
