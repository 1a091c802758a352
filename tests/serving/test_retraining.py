"""Feedback -> retrain -> swap, under load, with no failed request (issue: live at scale)."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from llm4rec.serving.app import create_app
from llm4rec.serving.bundle import STORE_SEQ, load_bundle
from llm4rec.serving.retraining import retrain


def test_feedback_retrain_and_swap_under_load(settings, auth, bundle_root, ml100k_loo):
    with TestClient(create_app(settings), headers=auth) as client:
        popular = ["50", "100", "181", "258", "286", "288", "294", "300"]
        events = [{"user_id": f"new-{u}", "item_id": item, "timestamp": 900_000_000 + 60 * u + i}
                  for u in range(40) for i, item in enumerate(popular)]
        events.append({"user_id": "new-0", "item_id": "not-in-the-catalogue"})
        assert client.post("/feedback", json={"events": events}).json()["stored"] == len(events)
        old_version = client.get("/health").json()["model_version"]

        outcome = retrain(settings.bundle_path, settings.feedback_db, tolerance=1.0)
        assert outcome.published and outcome.events_used == len(events) - 1 and outcome.events_skipped == 1
        assert outcome.holdout_cases > 0 and "NDCG@10" in outcome.candidate_figures
        fresh = load_bundle(outcome.folder)
        assert fresh.manifest[STORE_SEQ] == len(events) and "new-7" in fresh.interactions.users

        failures, stop = [], threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                answer = client.get("/recommend/new-3?k=5")
                if answer.status_code != 200:
                    failures.append(answer.status_code)

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for thread in threads:
            thread.start()
        swapped = client.post("/admin/reload").json()
        stop.set()
        for thread in threads:
            thread.join()
        assert not failures and swapped["previous_version"] == old_version
        assert swapped["model_version"] == fresh.version
        engine = client.app.app.app.state.engine  # metrics -> body limit -> FastAPI
        assert len(engine.served.histories["new-3"]) == len(popular)  # in the bundle now, not replayed twice
        assert len(client.get("/recommend/new-3?k=5").json()["items"]) == 5


def test_retraining_without_new_feedback_publishes_nothing(settings):
    outcome = retrain(settings.bundle_path, settings.feedback_db)
    assert not outcome.published and "no new feedback" in outcome.reason
