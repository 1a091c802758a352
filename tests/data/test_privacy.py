"""Pseudonymised user ids, PII scrubbing, and `llm4rec forget`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from llm4rec.cli.main import app
from llm4rec.data.privacy import pseudonym, pseudonym_key, pseudonymize_split, scrub_pii
from llm4rec.errors import ConfigError
from llm4rec.models.matrix_factorization import ALS
from llm4rec.serving.bundle import load_bundle, save_bundle
from llm4rec.serving.feedback_store import Event, FeedbackStore

KEY = b"a-test-key-of-enough-length"


@pytest.mark.parametrize(("text", "expected"), [
    ("write to jane.doe+shop@mail.example.co.uk today", "write to [email] today"),
    ("see https://shop.example.com/p?id=3 or www.example.org", "see [url] or [url]"),
    ("card 4111 1111 1111 1111 expired", "card [card] expired"),
    ("call +44 20 7946 0958 or (555) 123-4567", "call [phone] or [phone]"),
    ("released 1995, 4.5 stars, 120 minutes, part 2", "released 1995, 4.5 stars, 120 minutes, part 2"),
])
def test_scrubbing(text, expected):
    assert scrub_pii(text) == expected


def test_pseudonyms_are_keyed_and_keep_the_data(ml100k_loo):
    private = pseudonymize_split(ml100k_loo, KEY)
    assert "1" not in private.train.users and pseudonym("1", KEY) in private.train.users
    assert pseudonym("1", KEY) != pseudonym("1", b"another-key-of-enough-length")
    for part in ("train", "valid", "test"):
        before, after = getattr(ml100k_loo, part), getattr(private, part)
        assert np.array_equal(before.item_index, after.item_index)
        assert list(after.users.ids[after.user_index]) == [pseudonym(u, KEY) for u in
                                                           before.users.ids[before.user_index]]


def test_a_missing_or_short_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("LLM4REC_PSEUDONYM_KEY", raising=False)
    with pytest.raises(ConfigError, match="secret key"):
        pseudonym_key()
    (tmp_path / "key").write_text("short\n")
    with pytest.raises(ConfigError, match="16 characters"):
        pseudonym_key(tmp_path / "key")


def test_forget_removes_the_user_from_every_stored_artefact(tmp_path, ml100k_loo):
    root = tmp_path / "bundles"
    save_bundle(ALS(factors=4, iterations=1).fit(ml100k_loo.train), ml100k_loo.train, None, root)
    save_bundle(ALS(factors=4, iterations=1).fit(ml100k_loo.train), ml100k_loo.train, None, root)
    store = FeedbackStore(root / "feedback.sqlite")
    store.append([Event(user_id="9", item_id="50", session_id="secret-session-9")])
    store.close()
    outcome = CliRunner().invoke(app, ["forget", "--user", "9", "--bundles", str(root)])
    assert outcome.exit_code == 0, outcome.output
    assert "erased from 3 place(s)" in outcome.output and "1 event(s)" in outcome.output
    assert outcome.output.count("bundle ") == 2 and "model weights still learned with the user" in outcome.output
    for folder in sorted(root.glob("als/*")):
        assert "9" not in set(pd.read_parquet(folder / "interactions.parquet")["user_id"])
        assert "9" not in json.loads((folder / "ids.json").read_text())["users"]
        bundle = load_bundle(folder)
        position = ml100k_loo.train.users.index("9")
        assert not bundle.model.user_factors_[position].any()
    for path in root.glob("feedback.sqlite*"):
        assert b"secret-session-9" not in path.read_bytes()
