"""The read commands answer from a trained bundle, never fit, and give the service's answers
(issue: one read path)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from llm4rec.models.base import Recommender
from llm4rec.models.ease import EASE
from llm4rec.profiles.wording import fact_sentences
from llm4rec.serving.app import create_app
from llm4rec.serving.bundle import save_bundle
from llm4rec.serving.security import ApiKeys
from llm4rec.serving.settings import ServiceSettings

KEY = "read-commands-key"


@pytest.fixture(scope="module")
def fitted(ml100k_loo):
    return EASE(l2=200.0).fit(ml100k_loo.train)


@pytest.fixture(scope="module")
def bundle_root(tmp_path_factory, ml100k_loo, fitted):
    root = tmp_path_factory.mktemp("bundles")
    save_bundle(fitted, ml100k_loo.train, ml100k_loo.catalog, root)
    return root


@pytest.fixture
def http(bundle_root, tmp_path):
    settings = ServiceSettings(bundle_path=bundle_root, feedback_db=tmp_path / "feedback.sqlite",
                               api_keys=ApiKeys.from_sources(KEY))
    with TestClient(create_app(settings), headers={"X-API-Key": KEY}) as client:
        yield client


@pytest.fixture
def no_fit(monkeypatch):
    """Any fit during the test fails it."""
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{type(self).__name__}.fit was called by a read command")

    for cls in [Recommender, *Recommender.__subclasses__(), EASE]:
        monkeypatch.setattr(cls, "fit", refuse, raising=False)


def read_json(run_main, *args: str) -> dict:
    code, output = run_main(*args, "--json")
    assert code == 0, output
    return json.JSONDecoder().raw_decode(output[output.index("{"):])[0]  # stdout comes before the notes


def items(answer: dict) -> list[tuple[str, str, float]]:
    return [(i["item_id"], i["title"], i["score"]) for i in answer["items"]]


def test_cli_and_http_give_the_same_answers_without_fitting(run_main, http, bundle_root, no_fit):
    where = ("--model-dir", str(bundle_root))
    user = read_json(run_main, "recommend", "--user", "1", "-k", "5", *where)
    assert items(user) == items(http.get("/recommend/1?k=5").json())
    liked = read_json(run_main, "recommend", "--items", "50,181", "-k", "5", *where)
    assert items(liked) == items(http.post("/recommend", json={"items": ["50", "181"], "k": 5}).json())
    query = read_json(run_main, "recommend", "--query", "star trek", "--items", "50", "-k", "5", *where)
    assert items(query) == items(http.post("/recommend", json={"query": "star trek", "items": ["50"], "k": 5}).json())
    explained = read_json(run_main, "recommend", "--user", "1", "-k", "3", "--explain", *where)
    assert [i["explanation"] for i in explained["items"]] == \
        [i["explanation"] for i in http.get("/recommend/1?k=3&explain=true").json()["items"]]
    profile = read_json(run_main, "profile", "--user", "1", *where)
    assert profile == http.get("/users/1/profile").json()
    similar = read_json(run_main, "similar", "--item", "50", "-k", "5", *where)
    assert items(similar) == items(http.get("/similar/50?k=5").json())
    why = read_json(run_main, "explain", "--user", "1", "-k", "3", *where)
    assert [e["explanation"] for e in why["recommendations"]] == [i["explanation"] for i in explained["items"]]


def test_k_has_one_bound_everywhere(run_main, bundle_root):
    for command in (["recommend", "--user", "1"], ["similar", "--item", "50"], ["explain", "--user", "1"]):
        code, output = run_main(*command, "-k", "1001", "--model-dir", str(bundle_root))
        assert code == 2 and "less than or equal to 1000" in output, (command, output)


def test_unknown_ids_are_clear_errors(run_main, bundle_root):
    code, output = run_main("recommend", "--user", "nobody", "--model-dir", str(bundle_root))
    assert code == 2 and "Unknown user 'nobody'" in output
    code, output = run_main("similar", "--item", "no-such-item", "--model-dir", str(bundle_root))
    assert code == 2 and "Unknown item id" in output


def test_read_commands_include_what_the_service_received(run_main, tmp_path, ml100k_loo, fitted, no_fit):
    """After live feedback and a new item, the CLI reads the service's store beside the bundles
    and answers as the service does; --feedback-db none reads the bundle alone."""
    root = tmp_path / "bundles"
    save_bundle(fitted, ml100k_loo.train, ml100k_loo.catalog, root)
    bundle_only = read_json(run_main, "recommend", "--user", "1", "-k", "10", "--model-dir", str(root))
    settings = ServiceSettings(bundle_path=root, feedback_db=root / "feedback.sqlite",
                               api_keys=ApiKeys.from_sources(KEY))
    with TestClient(create_app(settings), headers={"X-API-Key": KEY}) as service:
        top = bundle_only["items"][0]["item_id"]
        fields = {k: v for k, v in ml100k_loo.catalog.raw.loc[top].items() if isinstance(v, str) and v}
        assert service.post("/items", json={"item_id": "new-1", "fields": fields}).status_code == 200
        events = [{"user_id": "1", "item_id": item["item_id"], "timestamp": 900_000_000 + n}
                  for n, item in enumerate(bundle_only["items"][:3])]
        assert service.post("/feedback", json={"events": events}).json()["applied"] == 3
        live = service.get("/recommend/1?k=10").json()
        similar = service.get("/similar/new-1?k=5").json()

    code, output = run_main("recommend", "--user", "1", "-k", "10", "--json", "--model-dir", str(root))
    assert code == 0 and "3 event(s), 1 item(s) added live" in output
    answer = json.JSONDecoder().raw_decode(output[output.index("{"):])[0]
    assert items(answer) == items(live) != items(bundle_only)
    assert "new-1" in [i["item_id"] for i in answer["items"]]  # its text reads like the user's former top item
    assert items(read_json(run_main, "similar", "--item", "new-1", "-k", "5", "--model-dir", str(root))) == \
        items(similar)
    alone = read_json(run_main, "recommend", "--user", "1", "-k", "10", "--feedback-db", "none",
                      "--model-dir", str(root))
    assert items(alone) == items(bundle_only)
    batch = {}
    for store in (None, "none"):
        out = tmp_path / f"batch-{store}.csv"
        code, output = run_main("batch-recommend", "--k", "10", "--out", str(out), "--model-dir", str(root),
                                *(["--feedback-db", store] if store else []))
        assert code == 0, output
        batch[store] = pd.read_csv(out, dtype={"user_id": str, "item_id": str})
        assert batch[store]["user_id"].nunique() == ml100k_loo.train.n_users
    first = {store: batch[store][batch[store]["user_id"] == "1"].sort_values("rank") for store in batch}
    assert list(first[None]["item_id"]) == [i["item_id"] for i in live["items"]]  # the service's answer
    assert list(first["none"]["item_id"]) == [i["item_id"] for i in bundle_only["items"]]
    code, output = run_main("recommend", "--user", "1", "--feedback-db", str(tmp_path / "missing.sqlite"),
                            "--model-dir", str(root))
    assert code != 0 and "is not a file" in output and "'none'" in output


def test_profile_written_by_a_language_model_is_checked(run_main, bundle_root, stub_endpoint, no_fit):
    """`profile --llm URL`: a faithful reply replaces the summary and says so; one that turns a
    fact keeps the template; Chinese keeps the template with a note."""
    url, replies, _ = stub_endpoint
    where = ("--model-dir", str(bundle_root))
    template = read_json(run_main, "profile", "--user", "1", *where)
    assert template["written_by"] == "template"
    main_theme = template["profile"]["top_genres"][0]["value"]
    restated = [fact.statement for fact in fact_sentences(template["profile"])[1:]]  # one reply per fact
    replies += [f"This user mostly enjoys {main_theme}.", *restated, f"This user is less keen on {main_theme}.",
                *restated]
    written = read_json(run_main, "profile", "--user", "1", "--llm", url, *where)
    assert written["written_by"] == "language model"
    assert written["summary"] == " ".join([f"This user mostly enjoys {main_theme}.", *restated])
    turned = read_json(run_main, "profile", "--user", "1", "--llm", url, *where)
    assert turned["written_by"] == "template" and turned["summary"] == template["summary"]
    code, output = run_main("profile", "--user", "1", "--llm", url, "--language", "zh", *where)
    assert code == 0 and "English only" in output and not replies


def test_explain_in_chinese_goes_through_a_chinese_capable_endpoint(run_main, bundle_root, stub_endpoint, no_fit):
    """`explain --language zh --llm URL` sends Chinese facts and keeps a reply only when it passes
    the check; the default small model declines Chinese with a note naming what to pass."""
    url, replies, prompts = stub_endpoint
    where = ("--model-dir", str(bundle_root), "--user", "1", "--item", "50", "--language", "zh")
    template = read_json(run_main, "explain", *where)["recommendations"][0]["explanation"]
    replies.append("你可能会喜欢《Star Wars》，这是一部史诗般的经典。")  # praise the evidence does not hold
    code, output = run_main("explain", *where, "--llm", url, "--json")
    answer = json.JSONDecoder().raw_decode(output[output.index("{"):])[0]
    assert code == 0 and "0 of 1" in output and answer["recommendations"][0]["explanation"] == template
    assert prompts[0].startswith("推荐：《Star Wars》")
    code, output = run_main("explain", *where, "--llm", "default")
    assert code == 0 and "writes no Chinese" in output and "--llm" in output and not replies
