"""A sequential model that learns no more than popularity says so at fit time (issue 20: on a
sparse log without text SASRec collapsed to the most popular items, silently)."""

import numpy as np
import pytest

from llm4rec.models.registry import model_class
from llm4rec.models.sequential import popularity_ndcg


def test_popularity_ndcg_follows_the_evaluation_rule():
    counts = np.array([5, 9, 9, 1, 3, 0, 7, 2, 2, 4, 6, 8])
    prefixes = [np.array([1]), np.array([6, 2]), np.array([], dtype=np.int64), np.array([3, 3])]
    targets = np.array([2, 1, 8, 3])
    expected = []
    for prefix, target in zip(prefixes, targets, strict=True):
        scores = counts.astype(float)
        scores[prefix[prefix != target]] = -np.inf
        rank = int((scores >= scores[target]).sum())  # ties against the target
        expected.append(1 / np.log2(rank + 1) if rank <= 10 else 0.0)
    assert popularity_ndcg(prefixes, targets, counts) == pytest.approx(np.mean(expected))


def test_a_model_no_better_than_popularity_warns_and_records_both(ml100k_loo, monkeypatch):
    train = ml100k_loo.train
    data = train.select(train.user_index < 100)
    cls = model_class("sasrec")
    monkeypatch.setattr(cls, "_holdout_ndcg", lambda self, *args: 0.0)  # a model that learnt nothing
    with pytest.warns(UserWarning, match="no better than popularity"):
        model = cls(max_epochs=2, patience=1, hidden=16).fit(data, ml100k_loo.catalog)
    assert model.fit_log_["popularity_holdout_ndcg10"] > 0.0 == model.fit_log_["holdout_ndcg10"]


def test_early_stopping_waits_longer_while_the_model_ranks_no_better_than_popularity(ml100k_loo, monkeypatch):
    """ml-latest-small: SASRec ranked like popularity for 7 epochs, then learnt; patience 5 stopped
    it at epoch 2. Below popularity the patience is `patience_below_popularity`."""
    train = ml100k_loo.train
    data = train.select(train.user_index < 100)
    cls = model_class("sasrec")
    curve = iter([0.001, 0.0, 0.0, 0.0, 0.9, 0.5, 0.5, 0.5])  # popularity's held-out NDCG@10 lies between
    monkeypatch.setattr(cls, "_holdout_ndcg", lambda self, *args: next(curve))
    model = cls(max_epochs=8, patience=1, patience_below_popularity=4, hidden=16).fit(data, ml100k_loo.catalog)
    assert 0.001 < model.fit_log_["popularity_holdout_ndcg10"] < 0.9
    assert model.epochs_ == 5 and len(model.fit_log_["holdout_curve"]) == 6  # kept epoch 5; stopped after 1 stale
    curve = iter([0.001, 0.0, 0.0, 0.0, 0.9])
    with pytest.warns(UserWarning, match="no better than popularity"):
        impatient = cls(max_epochs=5, patience=1, patience_below_popularity=1, hidden=16).fit(data, ml100k_loo.catalog)
    assert impatient.epochs_ == 1 and len(impatient.fit_log_["holdout_curve"]) == 2
