"""Every endpoint of the service through HTTP, on an EASE bundle of ml-100k-loo's train part."""

from __future__ import annotations

import json
import logging
import threading

import pandas as pd
from fastapi.testclient import TestClient

from llm4rec.models.ease import EASE
from llm4rec.serving.app import create_app
from llm4rec.serving.bundle import save_bundle


def ids(response) -> list[str]:
    """Recommended item ids of a response (or of its JSON body)."""
    body = response if isinstance(response, dict) else response.json()
    return [item["item_id"] for item in body["items"]]


def test_health_names_the_served_model(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["model"] == "ease"
    assert body["items"] == 1682 and body["users"] == 943


def test_recommend_known_user_matches_the_model_and_excludes_seen(client, fitted_ease, ml100k_loo):
    response = client.get("/recommend/1?k=5")
    assert response.status_code == 200
    body = response.json()
    user = ml100k_loo.train.users.index("1")
    history = ml100k_loo.train.histories()[user]
    expected, _ = fitted_ease.recommend([history], k=5)
    assert ids(response) == list(ml100k_loo.train.items.ids[expected[0]])
    assert not set(ids(response)) & set(ml100k_loo.train.items.ids[history])
    assert body["items"][0]["title"] and body["model_version"]
    assert not body["cached"] and client.get("/recommend/1?k=5").json()["cached"]


def test_bad_inputs_get_4xx_with_a_message(client):
    assert client.get("/recommend/no-such-user").status_code == 404
    assert "Unknown user" in client.get("/recommend/no-such-user").json()["detail"]
    assert client.get("/recommend/1?k=0").status_code == 422
    assert client.get("/recommend/1?k=abc").status_code == 422
    assert client.get("/similar/no-such-item").status_code == 404
    assert client.post("/recommend", json={"items": ["no-such-item"]}).status_code == 404
    assert client.post("/recommend", json={"items": []}).status_code == 422
    assert client.post("/recommend", json={"items": ["50"], "surprise": 1}).status_code == 422
    assert client.post("/recommend", content=b"{not json", headers={"content-type": "application/json"}
                       ).status_code == 422


def test_anonymous_visitor_and_similar_items(client):
    response = client.post("/recommend", json={"items": ["50", "181"], "k": 5})  # Star Wars, Return of the Jedi
    assert response.status_code == 200 and len(ids(response)) == 5
    assert not {"50", "181"} & set(ids(response))
    similar = client.get("/similar/50?k=5")
    assert similar.status_code == 200 and "50" not in ids(similar) and len(ids(similar)) == 5


def test_query_for_an_anonymous_visitor_uses_the_text_encoder(client):
    response = client.post("/recommend", json={"query": "star trek", "k": 5})
    assert response.status_code == 200
    assert sum("Star Trek" in item["title"] for item in response.json()["items"]) >= 3


def test_writes_need_a_key_with_their_scope(client, anonymous, auth):
    event = {"user_id": "1", "item_id": "50"}
    assert anonymous.post("/feedback", json=event).status_code == 401
    assert client.post("/feedback", json=event, headers={"X-API-Key": "wrong"}).status_code == 401
    assert anonymous.delete("/users/1").status_code == 401
    assert anonymous.post("/admin/reload").status_code == 401
    read_only = client.post("/feedback", json=event)  # the client's key holds the read scope only
    assert read_only.status_code == 403 and "'write' scope" in read_only.json()["detail"]
    assert client.delete("/users/1").status_code == 403 and client.post("/admin/reload").status_code == 403
    assert client.post("/feedback", json=event, headers=auth).status_code == 200


def test_feedback_changes_the_next_recommendations(client, auth):
    before = ids(client.get("/recommend/1?k=10"))
    receipt = client.post("/feedback", headers=auth, json={"events": [
        {"user_id": "1", "item_id": before[0], "event_type": "purchase"},
        {"user_id": "1", "item_id": "not-in-the-model"}]}).json()
    assert receipt == {"stored": 2, "applied": 1, "unknown_event_types": [], "held": 0}
    after = client.get("/recommend/1?k=10").json()
    assert not after["cached"] and before[0] not in ids(after)


def test_feedback_makes_a_new_user_known_and_survives_a_restart(settings, auth):
    with TestClient(create_app(settings), headers=auth) as client:
        assert client.get("/recommend/newcomer").status_code == 404
        client.post("/feedback", headers=auth, json={"user_id": "newcomer", "item_id": "50"})
        first = ids(client.get("/recommend/newcomer?k=5"))
    with TestClient(create_app(settings), headers=auth) as restarted:
        assert ids(restarted.get("/recommend/newcomer?k=5")) == first
        assert "50" not in first


def test_rate_limit_per_key(settings, auth):
    settings.rate_per_second, settings.burst = 0.5, 2
    with TestClient(create_app(settings)) as client:
        codes = [client.post("/feedback", headers=auth, json={"user_id": "1", "item_id": "50"}).status_code
                 for _ in range(4)]
    assert codes[:2] == [200, 200] and codes[2:] == [429, 429]


def test_body_size_limit(settings, auth):
    settings.max_body_bytes = 2_000
    with TestClient(create_app(settings)) as client:
        events = [{"user_id": "1", "item_id": "50"}] * 100
        response = client.post("/feedback", headers=auth, json={"events": events})
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def test_delete_user_leaves_nothing_behind(client, auth, settings, bundle_root):
    client.post("/feedback", headers=auth, json={"user_id": "7", "item_id": "50", "session_id": "s-7"})
    client.get("/recommend/7")
    response = client.delete("/users/7", headers=auth).json()
    assert response["user_id"] == "7" and len(response["erased"]) == 2  # the feedback store and the bundle
    assert any("1 event" in place for place in response["erased"])
    assert len(response["influence_remains"]) == 1 and response["not_touched"]  # EASE learned from them
    assert client.get("/recommend/7").status_code == 404
    version = next(bundle_root.glob("ease/*"))
    assert "7" not in set(pd.read_parquet(version / "interactions.parquet")["user_id"])
    assert "7" not in json.loads((version / "ids.json").read_text())["users"]
    for path in settings.feedback_db.parent.glob("feedback.sqlite*"):
        assert b"s-7" not in path.read_bytes()  # the event's row is gone, not just unlinked


def test_hot_swap_under_load_drops_no_request(client, auth, bundle_root, ml100k_loo):
    old_version = client.get("/health").json()["model_version"]
    save_bundle(EASE(l2=500.0).fit(ml100k_loo.train), ml100k_loo.train, ml100k_loo.catalog, bundle_root)
    failures, versions = [], set()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            response = client.get("/recommend/3?k=10")
            if response.status_code != 200:
                failures.append(response.status_code)
            versions.add(response.json()["model_version"])

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    swapped = client.post("/admin/reload", headers=auth).json()
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures
    assert swapped["previous_version"] == old_version and swapped["model_version"] != old_version
    assert client.get("/health").json()["model_version"] == swapped["model_version"]
    assert swapped["model_version"] in versions or client.get("/recommend/3").json()["model_version"] == \
        swapped["model_version"]


def test_metrics_count_requests_and_describe_the_model(client):
    client.get("/recommend/1")
    client.get("/recommend/1")
    text = client.get("/metrics").text
    assert 'llm4rec_requests_total{method="GET",route="/recommend/{user_id}",status="200"} 2.0' in text
    assert "llm4rec_request_seconds_bucket" in text and 'model="ease"' in text
    assert "llm4rec_index_items 1682.0" in text and "llm4rec_cache_hits_total 1.0" in text


def test_logs_never_hold_raw_user_ids(client, auth, caplog):
    with caplog.at_level(logging.DEBUG, logger="llm4rec.serving"):
        client.get("/recommend/user-secret-42")
        client.delete("/users/user-secret-42", headers=auth)
    assert caplog.records and not any("user-secret-42" in record.getMessage() for record in caplog.records)


def test_openapi_and_page(client):
    spec = client.get("/openapi.json").json()
    assert {"/recommend/{user_id}", "/recommend", "/similar/{item_id}", "/feedback", "/users/{user_id}",
            "/admin/reload", "/health"} <= set(spec["paths"])
    page = client.get("/")
    assert page.status_code == 200 and "<script>" in page.text


def test_explanations_on_request_cite_the_users_history(client, ml100k_loo):
    plain = client.get("/recommend/1?k=3").json()
    assert all(item["explanation"] is None for item in plain["items"])
    explained = client.get("/recommend/1?k=3&explain=true").json()
    assert ids(explained) == ids(plain)
    history_titles = set(ml100k_loo.catalog.titles(ml100k_loo.train.items.ids[
        ml100k_loo.train.histories()[ml100k_loo.train.users.index("1")]]))
    for item in explained["items"]:
        assert item["explanation"].startswith("Because you liked")
        assert any(title in item["explanation"] for title in history_titles)
    visitor = client.post("/recommend", json={"items": ["50", "181"], "k": 2, "explain": True}).json()
    assert all("Star Wars" in item["explanation"] or "Return of the Jedi" in item["explanation"]
               for item in visitor["items"])


def test_profile_of_a_user_in_plain_language(client):
    body = client.get("/users/1/profile").json()
    assert body["summary"].startswith("Mostly") and body["profile"]["top_genres"][0]["value"] == "Drama"
    assert client.get("/users/nobody/profile").status_code == 404


class EchoingModel:
    """A language model that restates the fact it is given: a faithful writer."""

    def complete(self, system, user, opening="", vocabulary=None, frame=frozenset()):
        return user.removeprefix("Fact: ")


def test_a_written_profile_needs_the_services_model_and_says_who_wrote_it(client, settings, monkeypatch):
    """Issue 22: GET /users/{id}/profile?written=true, with `serve --llm`; without it the template
    with a note naming the option; a model that fails leaves the template, never a 500."""
    unwritten = client.get("/users/1/profile", params={"written": "true"}).json()
    assert unwritten["written_by"] == "template" and "--llm" in unwritten["note"]
    assert client.get("/users/1/profile").json()["note"] is None
    monkeypatch.setattr("llm4rec.explain.wording.language_model", lambda spec: EchoingModel())
    settings.llm = "default"
    read = {"X-API-Key": client.headers["X-API-Key"]}  # the read-only key
    with TestClient(create_app(settings), headers=read) as writing:
        body = writing.get("/users/1/profile", params={"written": "true"}).json()
        assert body["written_by"] == "language model" and body["summary"].startswith("The user mostly chooses Drama")
        assert writing.get("/users/1/profile").json()["written_by"] == "template"
        chinese = writing.get("/users/1/profile", params={"written": "true", "lang": "zh"}).json()
        assert chinese["written_by"] == "template" and chinese["summary"].startswith("主要喜欢")
        assert "English only" in chinese["note"]
    monkeypatch.undo()
    settings.llm = "http://127.0.0.1:9/v1"  # nothing listens there
    with TestClient(create_app(settings), headers=read) as unreachable:
        answer = unreachable.get("/users/1/profile", params={"written": "true"})
        assert answer.status_code == 200 and answer.json()["written_by"] == "template"
        assert "claim check, or the model failed" in answer.json()["note"]


def test_event_types_the_weights_do_not_know_are_counted_and_named(client, auth):
    receipt = client.post("/feedback", headers=auth, json={"events": [
        {"user_id": "1", "item_id": "50", "event_type": "wishlist"},
        {"user_id": "1", "item_id": "51", "event_type": "wishlist"},
        {"user_id": "1", "item_id": "52", "event_type": "purchase"}]}).json()
    assert receipt["stored"] == 3 and receipt["unknown_event_types"] == ["wishlist"]
    assert "llm4rec_feedback_unknown_type_events_total 2.0" in client.get("/metrics").text
