"""Splits: ml-100k-loo reproduced exactly, no time leaks, round trip through the layout."""

import numpy as np

from llm4rec.data.interactions import Interactions
from llm4rec.data.split_dir import read_split_dir, write_split_dir
from llm4rec.data.splits import leave_one_out, temporal_cut, user_holdout


def _rows(path):
    return sorted(path.read_text().splitlines()[1:])


def test_leave_one_out_reproduces_the_canonical_split(ml100k, shared_data, tmp_path):
    split = leave_one_out(ml100k.interactions, ml100k.catalog, "ml-100k")
    write_split_dir(split, tmp_path)
    for part in ("train", "valid", "test"):
        assert _rows(tmp_path / f"{part}.tsv") == _rows(shared_data / "ml-100k-loo" / f"{part}.tsv"), part
    assert (tmp_path / "items.tsv").read_text() == (shared_data / "ml-100k-loo" / "items.tsv").read_text()


def test_leave_one_out_orders_ties_by_hash_not_item_id(ml100k):
    split = leave_one_out(ml100k.interactions)
    # Half of the test items share a timestamp with the user's previous event; with an id-order
    # tie-break the test item would always be the larger id within the tie.
    train_last = {}
    for u, i, t in zip(split.train_valid().user_index, split.train_valid().item_index,
                       split.train_valid().timestamps, strict=True):
        if t >= train_last.get(u, (-1, -1))[0]:
            train_last[u] = (t, i)
    tied = [(i, train_last[u][1]) for u, i, t in zip(split.test.user_index, split.test.item_index,
                                                     split.test.timestamps, strict=True) if t == train_last[u][0]]
    assert len(tied) > 300
    assert 0.3 < np.mean([int(ml100k.interactions.items.ids[a]) > int(ml100k.interactions.items.ids[b])
                          for a, b in tied]) < 0.7


def test_temporal_cut_never_trains_on_the_future(ml100k):
    split = temporal_cut(ml100k.interactions, valid_fraction=0.1, test_fraction=0.1)
    assert split.train.timestamps.max() <= split.valid.timestamps.min()
    assert split.valid.timestamps.max() <= split.test.timestamps.min()
    assert len(split.test) == 10_000 and len(split.valid) == 10_000


def test_user_holdout_targets_are_each_users_latest(ml100k):
    split = user_holdout(ml100k.interactions, fraction=0.1, seed=3)
    test_users, valid_users = set(split.test.user_index), set(split.valid.user_index)
    assert len(test_users) == len(valid_users) == 94 and not test_users & valid_users
    last_train = {}
    for u, t in zip(split.train.user_index, split.train.timestamps, strict=True):
        last_train[u] = max(t, last_train.get(u, t))
    assert all(t >= last_train[u] for u, t in zip(split.test.user_index, split.test.timestamps, strict=True))


def test_write_then_read_round_trip(ml100k_loo, tmp_path):
    write_split_dir(ml100k_loo, tmp_path)
    again, _ = read_split_dir(tmp_path)
    assert len(again.train) == len(ml100k_loo.train) and again.train.items == ml100k_loo.train.items


def test_time_order_breaks_ties_by_the_hash_as_if_every_row_had_one():
    from llm4rec.data.interactions import tie_keys
    from llm4rec.data.synthetic import synthetic_log

    log = synthetic_log(50_000, 2_000, 1_000, seed=4)
    log["timestamp"] //= 600  # many events of one user share a timestamp
    data = Interactions.from_frame(log)
    keys = tie_keys(data.users.ids[data.user_index], data.items.ids[data.item_index])
    assert np.array_equal(data.time_order(), np.lexsort((keys, data.timestamps, data.user_index)))


def test_sample_users_keeps_train_and_a_seeded_sample_of_evaluated_users(ml100k_loo):
    sampled = ml100k_loo.sample_users(100, seed=3)
    assert sampled.train is ml100k_loo.train
    assert len(np.unique(sampled.test.user_index)) == 100
    assert set(np.unique(sampled.valid.user_index)) <= set(np.unique(sampled.test.user_index))
    for part, whole in ((sampled.valid, ml100k_loo.valid), (sampled.test, ml100k_loo.test)):
        kept = np.isin(whole.user_index, part.user_index)
        assert len(part) == kept.sum()  # every row of a sampled user, none of the others
    assert np.array_equal(ml100k_loo.sample_users(100, seed=3).test.user_index, sampled.test.user_index)
    assert not np.array_equal(ml100k_loo.sample_users(100, seed=4).test.user_index, sampled.test.user_index)
    assert "100 sampled users (seed 3)" in sampled.protocol
    assert ml100k_loo.sample_users(10_000) is ml100k_loo
