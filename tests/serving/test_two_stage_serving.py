"""The service retrieves in two stages from a catalogue size on, and says so in /health."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from llm4rec.models.matrix_factorization import ALS
from llm4rec.serving.app import create_app
from llm4rec.serving.bundle import save_bundle


def test_two_stage_recommendations_match_exact_ones(settings, auth, tmp_path, ml100k_loo):
    root = tmp_path / "als-bundles"
    save_bundle(ALS().fit(ml100k_loo.train), ml100k_loo.train, ml100k_loo.catalog, root, dataset="ml-100k-loo")
    answers = {}
    for threshold in (10**9, 1):
        with TestClient(create_app(replace(settings, bundle_path=root, two_stage_from=threshold)),
                        headers=auth) as client:
            answers[client.get("/health").json()["retrieval"]] = [
                [item["item_id"] for item in client.get(f"/recommend/{user}").json()["items"]] for user in range(1, 21)]
            client.post("/items", json={"item_id": "new-1", "fields": {"title": "Star Wars (1977)"}})
            assert client.get("/recommend/1", params={"k": 1000}).status_code == 200  # live items on either path
            similar = client.get("/similar/new-1").json()["items"]  # its placement in the model's item space
            assert len(similar) == 10 and "new-1" not in [item["item_id"] for item in similar]
            assert "new-1" in [item["item_id"] for item in client.get("/similar/50", params={"k": 1000})
                               .json()["items"]]
    assert set(answers) == {"exact", "two-stage (exact)"}
    overlap = [len(set(a) & set(b)) / 10 for a, b in zip(answers["exact"], answers["two-stage (exact)"], strict=True)]
    assert sum(overlap) / len(overlap) > 0.9
