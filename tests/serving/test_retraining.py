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


def test_retraining_weights_new_events_as_the_bundle_was_weighted(tmp_path, fitted_ease, ml100k_loo):
    """A bundle trained on mined weights: a purchase in the store weighs more than a view, as
    `--mine-feedback` weighed them offline; an unmined bundle keeps every new row at 1."""
    from llm4rec.feedback.weights import FeedbackConfig
    from llm4rec.serving.bundle import save_bundle
    from llm4rec.serving.feedback_store import Event, FeedbackStore

    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.append([Event(user_id=f"buyer-{u}", item_id=item, event_type=kind, timestamp=900_000_000.0 + 60 * u + i)
                  for u in range(20) for i, (item, kind) in enumerate([("50", "purchase"), ("100", "view"),
                                                                      ("181", "view"), ("258", "click")])])
    store.close()
    outcomes = {}
    for mined in (True, False):
        root = tmp_path / f"bundles-{mined}"
        feedback = {"config": FeedbackConfig().model_dump(), "report": {}} if mined else None
        save_bundle(fitted_ease, ml100k_loo.train, ml100k_loo.catalog, root, feedback=feedback)
        outcomes[mined] = retrain(root, tmp_path / "feedback.sqlite", tolerance=1.0)
    assert outcomes[True].weighted and not outcomes[False].weighted
    assert "feedback-mining settings" in outcomes[True].lines()[0]
    frame = load_bundle(outcomes[True].folder).interactions.to_frame()
    buyer = frame[frame["user_id"] == "buyer-3"].set_index("item_id")["weight"]
    assert buyer["50"] > buyer["258"] > buyer["100"] > 0  # purchase 8 > click 2 > view 1, as mined offline
    plain = load_bundle(outcomes[False].folder).interactions.to_frame()
    assert (plain[plain["user_id"] == "buyer-3"]["weight"] == 1.0).all()
