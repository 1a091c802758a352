"""Forgetting a user reaches every place llm4rec wrote them and says what it could not touch
(issue: hardening, finding 4)."""

from __future__ import annotations

import json
import re

import pytest

from llm4rec import artefacts
from llm4rec.data.privacy import pseudonym, pseudonymize_split
from llm4rec.models.ease import EASE
from llm4rec.models.itemknn import ItemKNN
from llm4rec.serving.bundle import all_bundles, load_bundle, save_bundle
from llm4rec.serving.erasure import write_served_report
from llm4rec.serving.feedback_store import Event, FeedbackStore

KEY = "a-pseudonym-key-of-some-length"


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """A cache root (and so an artefact ledger) of this test's own."""
    monkeypatch.setenv("LLM4REC_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def results_file(tmp_path, fitted):
    figures = {"HR@10": 0.1, "NDCG@10": 0.05, "MRR@10": 0.03, "HR@20": 0.2, "NDCG@20": 0.07}
    path = tmp_path / "run" / "results.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({fitted.name: {"test": figures, "valid": figures, "params": fitted.params,
                                              "fit_seconds": 1.0}}))
    return path


def test_forget_reaches_every_root_store_and_report(isolated_cache, tmp_path, ml100k_loo, run_main):
    train = ml100k_loo.train
    first = save_bundle(ItemKNN(k=20).fit(train), train, None, tmp_path / "roots" / "a")
    second = save_bundle(EASE(l2=200.0).fit(train), train, None, tmp_path / "roots" / "b")
    report = write_served_report(results_file(tmp_path, load_bundle(first).model), load_bundle(first),
                                 tmp_path / "run" / "report.html")
    user = re.search(r"<h3>user (\w+)</h3>", report.read_text()).group(1)  # a user the report shows
    store_path = tmp_path / "service" / "feedback.sqlite"
    store = FeedbackStore(store_path)
    store.append([Event(user_id=user, item_id="50", session_id="their-session")])
    store.close()
    artefacts.record("feedback", store_path)

    code, output = run_main("forget", "--user", user)

    assert code == 0, output
    for folder in (first, second):
        assert user not in json.loads((folder / "ids.json").read_text())["users"]
        assert f"bundle {folder}" in output
    assert f"<h3>user {user}</h3>" not in report.read_text() and f"report {report.resolve()}" in output
    assert not FeedbackStore(store_path).events(user) and "1 event(s)" in output
    assert "model weights still learned with the user" in output and str(second) in output
    assert "not touched" in output and "source data" in output


def test_refit_publishes_a_version_without_the_user_and_removes_those_with(isolated_cache, tmp_path, ml100k_loo,
                                                                            run_main):
    root = tmp_path / "bundles"
    old = save_bundle(EASE(l2=200.0).fit(ml100k_loo.train), ml100k_loo.train, None, root, dataset="ml-100k-loo")
    code, output = run_main("forget", "--user", "7", "--bundles", str(root), "--refit")
    assert code == 0, output
    (fresh,) = all_bundles(root)
    assert fresh != old and not old.exists() and "refitted ease without the user" in output
    bundle = load_bundle(fresh)
    assert "7" not in bundle.interactions.users.ids[bundle.interactions.user_index]
    assert "model weights still learned" not in output
    run_main("forget", "--user", "8", "--bundles", str(root))  # marks the version for refit only
    (marked,) = all_bundles(root)
    code, output = run_main("forget", "--user", "8", "--bundles", str(root), "--refit")  # refits the marked one
    assert code == 0 and not marked.exists() and "refitted ease without the user" in output


def test_pseudonymised_bundles_take_the_raw_id_with_the_key(isolated_cache, tmp_path, ml100k_loo, run_main,
                                                              monkeypatch):
    hashed = pseudonymize_split(ml100k_loo, KEY.encode())
    root = tmp_path / "bundles"
    folder = save_bundle(EASE(l2=200.0).fit(hashed.train), hashed.train, None, root, pseudonymized=True)
    monkeypatch.delenv("LLM4REC_PSEUDONYM_KEY", raising=False)
    code, output = run_main("forget", "--user", "42", "--bundles", str(root))
    assert code == 2 and "pseudonymised" in output and "--key-file" in output  # never a silent 0
    (tmp_path / "key").write_text(KEY)
    code, output = run_main("forget", "--user", "42", "--bundles", str(root), "--key-file", str(tmp_path / "key"))
    assert code == 0 and f"bundle {folder}" in output
    assert pseudonym("42", KEY.encode()) not in json.loads((folder / "ids.json").read_text())["users"]


def test_a_user_found_nowhere_is_said_plainly(isolated_cache, tmp_path, run_main):
    code, output = run_main("forget", "--user", "nobody", "--bundles", str(tmp_path / "empty"))
    assert code == 0 and "found nowhere" in output and "0 places erased" in output
