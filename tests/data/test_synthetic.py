"""The synthetic scale log: seeded, exact size, power-law popularity, sessions, loads whole."""

import numpy as np

from llm4rec.data.events import load_events
from llm4rec.data.synthetic import synthetic_catalog, synthetic_log


def test_synthetic_log_is_seeded_sized_and_skewed():
    log = synthetic_log(50_000, 5_000, 2_000, seed=3)
    assert len(log) == 50_000 and log.equals(synthetic_log(50_000, 5_000, 2_000, seed=3))
    assert not log.equals(synthetic_log(50_000, 5_000, 2_000, seed=4))
    assert log["item_id"].between(0, 1_999).all() and log["user_id"].between(0, 4_999).all()
    counts = np.sort(log["item_id"].value_counts().to_numpy())[::-1]
    assert counts[:20].sum() > 0.1 * len(log)  # the top 1 % of items hold over 10 % of events
    assert log["dwell_time"].notna().eq(log["event_type"] == "view").all()


def test_sessions_are_one_user_minutes_apart():
    log = synthetic_log(20_000, 1_000, 500, seed=0)
    same_user = log["user_id"].to_numpy()[1:] == log["user_id"].to_numpy()[:-1]
    gaps = np.diff(log["timestamp"].to_numpy())[same_user]
    assert same_user.mean() > 0.6 and np.median(gaps) < 120


def test_synthetic_log_loads_without_loss(tmp_path):
    log = synthetic_log(30_000, 3_000, 1_000, seed=1)
    log.to_parquet(tmp_path / "events.parquet", index=False)
    dataset = load_events(tmp_path / "events.parquet")
    assert len(dataset.interactions) == len(log)
    assert dataset.interactions.n_items == log["item_id"].nunique()


def test_synthetic_titles_share_words_within_a_topic_and_do_not_depend_on_catalogue_size():
    catalog = synthetic_catalog(10_000, seed=2)
    assert catalog["item_id"].tolist() == list(range(10_000))
    assert catalog.equals(synthetic_catalog(10_000, seed=2)) and not catalog.equals(synthetic_catalog(10_000, seed=3))
    assert synthetic_catalog(5_000, seed=2).equals(catalog.iloc[:5_000])
    words = [set(title.split()) for title in catalog["title"]]
    same_topic = np.mean([len(words[i] & words[i + 1]) for i in range(0, 9_000, 100)])
    other_topic = np.mean([len(words[i] & words[i + 5_000]) for i in range(0, 4_000, 100)])
    assert same_topic >= 1 and other_topic < 0.2
