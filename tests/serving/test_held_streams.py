"""Fraud in the live loop: a stream faster than the bot rate is held out of histories and
retraining until an admin releases it, durably, and counted in /metrics (issue: live at scale)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from llm4rec.serving.app import create_app
from llm4rec.serving.retraining import retrain

ITEMS = ["50", "100", "181", "258", "286", "288", "294", "300", "1", "7"]


def burst(user: str, start: float, count: int) -> list[dict]:
    """`count` events in a few seconds: far more than 30 a minute."""
    return [{"user_id": user, "item_id": ITEMS[i % len(ITEMS)], "timestamp": start + i * 0.1} for i in range(count)]


def test_a_bot_stream_is_held_until_released(settings, auth):
    with TestClient(create_app(settings), headers=auth) as client:
        human = [{"user_id": "human", "item_id": item, "timestamp": 900_000_000 + 600 * i}
                 for i, item in enumerate(ITEMS[:5])]
        assert client.post("/feedback", json={"events": human}).json()["held"] == 0
        first = client.post("/feedback", json={"events": burst("bot", 900_000_000, 20)}).json()
        assert first["held"] == 0 and first["applied"] == 20  # 20 events: under the rate so far
        second = client.post("/feedback", json={"events": burst("bot", 900_000_002, 20)}).json()
        assert second["stored"] == 20 and second["held"] == 20 and second["applied"] == 0
        assert client.get("/recommend/bot").status_code == 404  # what it had applied is gone too
        assert client.get("/recommend/human").status_code == 200
        assert "more than 30 events a minute" in client.get("/admin/held").json()["held"]["bot"]
        metrics = client.get("/metrics").text
        assert "llm4rec_feedback_held_events_total 20.0" in metrics
        assert "llm4rec_feedback_held_streams 1.0" in metrics

    outcome = retrain(settings.bundle_path, settings.feedback_db, tolerance=1.0)
    assert outcome.events_held == 40 and outcome.events_used == 5

    with TestClient(create_app(settings), headers=auth) as client:  # a restart: still held, not replayed
        assert client.get("/recommend/bot").status_code == 404
        assert client.post("/admin/release/nobody").status_code == 404
        assert client.post("/admin/release/bot").json() == {"user_id": "bot", "applied": 40}
        assert client.get("/recommend/bot?k=5").status_code == 200
        again = client.post("/feedback", json={"events": burst("bot", 900_000_010, 40)}).json()
        assert again["held"] == 0 and again["applied"] == 40  # released streams are not held again
        assert client.get("/admin/held").json() == {"held": {}}


def test_retraining_holds_streams_the_shilling_detector_flags(settings, auth, ml100k_loo):
    """An average attack posted as rating feedback: retraining holds the fake streams, leaves the
    genuine new user in, and the service drops the held streams' histories at the swap."""
    from llm4rec.feedback.attacks import FAKE_PREFIX, Attack, choose_target, inject

    train = ml100k_loo.train
    attacked, fake = inject(train, ml100k_loo.catalog, Attack("average", 0.05, 0.05, choose_target(train)))
    rows = attacked.to_frame()
    rows = rows[rows["user_id"].str.startswith(FAKE_PREFIX)]
    events = [{"user_id": u, "item_id": i, "event_type": "rating", "value": float(r), "timestamp": float(t)}
              for u, i, r, t in zip(rows["user_id"], rows["item_id"], rows["rating"], rows["timestamp"], strict=True)]
    events += [{"user_id": "genuine", "item_id": item, "event_type": "rating", "value": 4.0,
                "timestamp": 900_000_000.0 + 3600 * n} for n, item in enumerate(ITEMS)]
    with TestClient(create_app(settings), headers=auth) as client:
        for start in range(0, len(events), 500):
            assert client.post("/feedback", json={"events": events[start:start + 500]}).status_code == 200
        assert client.get(f"/recommend/{FAKE_PREFIX}00000").status_code == 200  # live until the check
        outcome = retrain(settings.bundle_path, settings.feedback_db, tolerance=1.0)
        assert outcome.suspects_held >= 0.9 * fake.sum() and outcome.events_used >= len(ITEMS)
        held = client.get("/admin/held").json()["held"]
        assert "genuine" not in held and sum(u.startswith(FAKE_PREFIX) for u in held) == outcome.suspects_held
        client.post("/admin/reload")
        caught = next(u for u in held if u.startswith(FAKE_PREFIX))
        assert client.get(f"/recommend/{caught}").status_code == 404
        assert client.get("/recommend/genuine").status_code == 200
