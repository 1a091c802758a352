"""The service never answers 5xx, never echoes what it rejected, and keeps reads behind keys.

Each test here failed on the code before the hardening it names (issue: hardening)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from llm4rec.serving.app import create_app

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "bad_requests.jsonl"
BAD_REQUESTS = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]


@pytest.fixture
def admin(settings, auth):
    """A client with every scope, seeing server errors as 500 answers rather than exceptions."""
    with TestClient(create_app(settings), headers=auth, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=[c["why"] for c in BAD_REQUESTS])
def test_bad_requests_get_a_4xx_that_json_can_carry(admin, case, caplog):
    body = bytes.fromhex(case["body_hex"]) if "body_hex" in case else case.get("body", "").encode("utf-8",
                                                                                                 "surrogatepass")
    with caplog.at_level(logging.DEBUG):
        response = admin.request(case["method"], case["path"], content=body or None,
                                 headers={"content-type": "application/json"})
    if case.get("accepted"):  # odd but valid
        assert response.status_code == 200, response.text
    else:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        assert json.dumps(response.json()["detail"], allow_nan=False)  # no NaN or lone surrogate in the answer
    assert not any("Traceback" in r.getMessage() or "ud800" in r.getMessage() for r in caplog.records)


def test_a_422_never_echoes_the_rejected_value(admin):
    response = admin.post("/feedback", json={"user_id": "secret-user-77", "item_id": "50", "value": "much"})
    assert response.status_code == 422
    assert "secret-user-77" not in response.text and "much" not in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "Event", "value"] or "value" in response.text


def test_feedback_before_the_bundles_last_timestamp_is_replayed_after_a_restart(settings, admin, auth):
    early = {"user_id": "ts-new-user", "item_id": "50", "timestamp": 880000000}  # before ml-100k's training end
    late = {"user_id": "ts-late-user", "item_id": "181", "timestamp": 2e9}
    assert admin.post("/feedback", json={"events": [early, late]}).json() == {"stored": 2, "applied": 2,
                                                                                "unknown_event_types": [], "held": 0}
    live = admin.get("/recommend/ts-new-user?k=5").json()
    with TestClient(create_app(settings), headers=auth) as restarted:
        for user in ("ts-new-user", "ts-late-user"):
            assert restarted.get(f"/recommend/{user}?k=5").status_code == 200
        assert restarted.get("/recommend/ts-new-user?k=5").json()["items"] == live["items"]
        restarted.post("/admin/reload")
        assert restarted.get("/recommend/ts-new-user?k=5").status_code == 200


def test_reads_need_a_read_key_and_health_metrics_page_do_not(anonymous, client):
    reads = [("GET", "/recommend/1"), ("GET", "/recommend/1?explain=true"), ("GET", "/users/1/profile"),
             ("POST", "/recommend"), ("GET", "/similar/50"), ("GET", "/items?q=star")]
    for method, path in reads:
        body = {"query": "space adventure"} if method == "POST" else None
        assert anonymous.request(method, path, json=body).status_code == 401, path
        assert client.request(method, path, json=body).status_code == 200, path
    for path in ("/health", "/metrics", "/"):
        assert anonymous.get(path).status_code == 200
    assert anonymous.get("/health").json()["key_required"] is True


def test_open_reads_admit_reads_without_a_key_but_not_writes(settings):
    settings.open_reads = True
    with TestClient(create_app(settings)) as anonymous:
        assert anonymous.get("/recommend/1").status_code == 200
        assert anonymous.get("/health").json()["key_required"] is False
        assert anonymous.post("/feedback", json={"user_id": "1", "item_id": "50"}).status_code == 401


def test_reads_are_rate_limited_per_caller(settings, client):
    settings.rate_per_second, settings.burst, settings.open_reads = 0.5, 2, True
    with TestClient(create_app(settings)) as anonymous:
        codes = [anonymous.get("/similar/50").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_every_status_a_route_answers_is_in_the_openapi_document(client):
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            statuses = set(operation["responses"])
            if path == "/health":
                continue
            assert {"401", "403", "422", "429"} <= statuses, (method, path)
            if "{" in path and method == "get":
                assert "404" in statuses, (method, path)
            if method == "post":
                assert "413" in statuses, (method, path)
    problem = spec["components"]["schemas"]["Problem"]["properties"]["detail"]
    assert {"type": "string"} in problem["anyOf"]  # a sentence, or the list of fields at fault
    assert spec["components"]["schemas"]["RecommendRequest"]["anyOf"]  # {} is invalid by the schema too


def test_a_chunked_body_over_the_limit_gets_413_and_is_counted(settings, auth):
    settings.max_body_bytes = 10_000
    with TestClient(create_app(settings), headers=auth) as admin:
        chunks = (b"x" * 4096 for _ in range(2500))  # 10 MB without a Content-Length
        response = admin.post("/feedback", content=chunks, headers={"content-type": "application/json"})
        assert response.status_code == 413
        metrics = admin.get("/metrics").text
    assert 'status="413"' in metrics


def test_the_page_asks_for_a_key_and_clears_a_stale_heading(client):
    page = client.get("/").text
    assert 'id="api-key"' in page and "X-API-Key" in page
    assert '$("results-title").textContent = ""' in page


def test_an_unexpected_error_is_a_plain_500_logged_without_the_request(settings, auth, caplog, monkeypatch):
    from llm4rec.serving.engine import Engine

    def broken(self, user_id, k):
        raise RuntimeError(f"boom for {user_id}")

    monkeypatch.setattr(Engine, "recommend_user", broken)
    with (TestClient(create_app(settings), headers=auth, raise_server_exceptions=False) as client,
          caplog.at_level(logging.DEBUG)):
        response = client.get("/recommend/secret-user-5")
    assert response.status_code == 500 and "secret-user-5" not in response.text
    assert any("unexpected RuntimeError on GET /recommend/{user_id}" in r.getMessage() for r in caplog.records)
    server_records = [r for r in caplog.records if not r.name.startswith("httpx")]  # the test client's own
    assert not any("secret-user-5" in r.getMessage() for r in server_records)
