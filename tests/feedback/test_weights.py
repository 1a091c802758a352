"""Feedback mining: hand-checked weights from a small event log, and models that read them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llm4rec.data.interactions import Interactions
from llm4rec.feedback.weights import FeedbackConfig, mine_weights
from llm4rec.models.ease import EASE


def event_log(rows: list[tuple]) -> tuple[Interactions, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp", "event_type", "dwell_time"])
    return Interactions.from_frame(frame), frame[["event_type", "dwell_time"]]


def weight_of(mined: Interactions, user: str, item: str) -> float:
    rows = (mined.users.ids[mined.user_index] == user) & (mined.items.ids[mined.item_index] == item)
    assert rows.sum() == 1
    return float(mined.weights[rows][0])


def test_event_types_dwell_and_repeats():
    interactions, events = event_log([
        ("u", "a", 10, "view", np.nan),
        ("u", "b", 20, "purchase", np.nan),
        ("u", "c", 30, "view", 30.0), ("v", "c", 30, "view", 10.0), ("w", "c", 30, "view", 10.0),
        ("u", "d", 40, "view", np.nan), ("u", "d", 50, "view", np.nan), ("u", "d", 60, "click", np.nan),
    ])
    mined, report = mine_weights(interactions, events, FeedbackConfig(repeats="sum"))
    assert weight_of(mined, "u", "a") == 1.0 and weight_of(mined, "u", "b") == 8.0
    # dwell 3x the item's median (10 s) saturates at 3 medians: factor 2; the median itself: 1 + 1/3
    assert weight_of(mined, "u", "c") == pytest.approx(2.0) and weight_of(mined, "v", "c") == pytest.approx(4 / 3)
    assert weight_of(mined, "u", "d") == 4.0  # view + view + click
    assert len(mined) == 6 and mined.timestamps[mined.items.ids[mined.item_index] == "d"].max() == 60
    assert report.duplicates_dropped == 0 and report.dwell_capped == 0
    logged, _ = mine_weights(interactions, events, FeedbackConfig(repeats="log"))
    assert weight_of(logged, "u", "d") == pytest.approx(np.log1p(4.0))


def test_duplicates_are_dropped_and_idle_tabs_capped_and_counted():
    interactions, events = event_log([
        ("u", "a", 10, "view", 5.0), ("u", "a", 10, "view", 5.0),  # exact duplicate
        ("v", "a", 10, "view", 5.0), ("w", "a", 11, "view", 50_000.0),  # a 14-hour idle tab
    ])
    mined, report = mine_weights(interactions, events, FeedbackConfig(repeats="sum"))
    assert report.duplicates_dropped == 1 and report.dwell_capped == 1 and report.events == 4
    assert weight_of(mined, "u", "a") == weight_of(mined, "v", "a")
    assert weight_of(mined, "w", "a") == pytest.approx(2.0)  # capped, then saturated, not 10,000x


def test_recency_half_life_and_inhuman_rates():
    rows = [("old", "a", 0, "view", np.nan), ("new", "a", 10 * 86_400, "view", np.nan)]
    rows += [("bot", f"i{n}", 10 * 86_400 + n, "click", np.nan) for n in range(100)]  # 100 clicks in 100 s
    interactions, events = event_log(rows)
    mined, report = mine_weights(interactions, events, FeedbackConfig(repeats="sum", half_life_days=10))
    assert weight_of(mined, "old", "a") == pytest.approx(0.5 * weight_of(mined, "new", "a"))
    assert report.users_flagged_inhuman_rate == ["bot"]


def test_ratings_become_weights_that_weighted_models_use(ml100k_loo):
    mined, _ = mine_weights(ml100k_loo.train)
    assert len(mined) == len(ml100k_loo.train)
    # rating / 5, then log(1 + w), the default for repeats (one event per pair here)
    assert np.allclose(np.sort(np.unique(mined.weights)), np.log1p([0.2, 0.4, 0.6, 0.8, 1.0]))
    binary = EASE(l2=150.0).fit(mined)
    weighted = EASE(l2=150.0, weighted=True).fit(mined)
    assert not np.allclose(binary.weights_, weighted.weights_)


def test_inspect_counts_what_mining_would_drop_or_cap(tmp_path):
    import json

    from typer.testing import CliRunner

    from llm4rec.cli.main import app

    log = tmp_path / "events.csv"
    log.write_text("user_id,item_id,timestamp,event_type,dwell_time\nu1,a,10,view,5\nu1,a,10,view,5\n"
                   "u2,a,20,purchase,40000\nu2,b,30,click,3\n")
    outcome = CliRunner().invoke(app, ["inspect", str(log), "--json"])
    assert outcome.exit_code == 0, outcome.output
    hygiene = json.loads(outcome.stdout[outcome.stdout.index("{"):])["feedback_hygiene"]
    assert hygiene == {"events": 4, "duplicates_dropped": 1, "dwell_capped": 1, "users_flagged_inhuman_rate": []}


def test_sequential_models_weight_each_target_by_its_confidence(ml100k_loo):
    """Equal weights change nothing; a zero weight removes a target from the loss."""
    import torch

    from llm4rec.models.sequential import SequentialRecommender

    model = SequentialRecommender(max_epochs=1, hidden=16, layers=1, weighted=True).fit(ml100k_loo.train)
    model.net_.eval()
    inputs = torch.tensor([[0, 1, 2, 3], [0, 0, 4, 5]])
    targets = torch.tensor([[1, 2, 3, 4], [0, 4, 5, 6]])
    rng = np.random.default_rng(0)
    plain = model._loss(inputs, targets, rng)
    assert torch.allclose(model._loss(inputs, targets, rng, torch.full((2, 4), 3.0)), plain)
    only_first_row = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    assert torch.allclose(model._loss(inputs, targets, rng, only_first_row), model._loss(inputs[:1], targets[:1], rng))


def test_weighted_sequential_training_reads_the_mined_weights(ml100k_loo):
    from llm4rec.models.sequential import SequentialRecommender

    mined, _ = mine_weights(ml100k_loo.train)
    weighted = SequentialRecommender(max_epochs=2, hidden=16, layers=1, weighted=True).fit(mined)
    binary = SequentialRecommender(max_epochs=2, hidden=16, layers=1).fit(mined)
    histories = mined.histories()[:20]
    assert not np.allclose(weighted.score(histories), binary.score(histories))
