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
