"""The event-log generator: seeded, a coherent funnel, position bias, and mining that recovers taste."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from llm4rec.data.interactions import Interactions
from llm4rec.feedback.generator import SLATE, generate
from llm4rec.feedback.weights import mine_weights


@pytest.fixture(scope="module")
def log():
    rng = np.random.default_rng(5)
    utility = rng.normal(size=(60, 300))
    return generate(utility, np.array([f"u{i}" for i in range(60)]), np.array([f"i{j}" for j in range(300)]),
                    sessions=6, seed=1)


def test_seeded(log):
    again = generate(log.utility, log.users, log.items, sessions=6, seed=1)
    assert again.events.equals(log.events)


def test_funnel_is_coherent(log):
    events = log.events
    assert set(events["event_type"]) == {"view", "click", "add_to_cart", "purchase"}
    counts = events["event_type"].value_counts()
    assert counts["view"] > counts["click"] > counts["add_to_cart"] > counts["purchase"] > 0
    keys = events.groupby(["session_id", "item_id"])["event_type"].apply(set)
    assert all("view" in kinds for kinds in keys)
    assert all("add_to_cart" in kinds for kinds in keys if "purchase" in kinds)
    assert events.loc[events["event_type"] == "click", "dwell_time"].notna().all()
    assert events.loc[events["event_type"] != "click", "dwell_time"].isna().all()
    assert len(events.groupby("session_id")) <= 60 * 6 and events.groupby("session_id").size().max() <= 4 * SLATE


def test_mined_weights_follow_the_true_utility_better_than_clicks(log):
    events = log.events.reset_index(drop=True)
    mined, _ = mine_weights(Interactions.from_frame(events), events)
    user_ids, item_ids = mined.users.ids[mined.user_index], mined.items.ids[mined.item_index]
    row = {u: r for r, u in enumerate(log.users)}
    column = {i: c for c, i in enumerate(log.items)}
    truth = log.utility[[row[u] for u in user_ids], [column[i] for i in item_ids]]
    clicked = set(map(tuple, log.events.loc[log.events["event_type"] == "click", ["user_id", "item_id"]].to_numpy()))
    clicks = np.array([(u, i) in clicked for u, i in zip(user_ids, item_ids, strict=True)], dtype=float)
    assert spearmanr(mined.weights, truth).statistic > spearmanr(clicks, truth).statistic > 0
