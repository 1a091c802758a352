"""The train+valid refit of an early-stopped model trains on every item for the epochs early
stopping chose on train (issue 20: the refit paid the patience epochs again and never learnt
from each history's newest item)."""

from __future__ import annotations

import numpy as np

from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.models.registry import model_class


def test_the_refit_keeps_the_tuned_epochs_and_trains_on_every_item(ml100k_loo):
    split = ml100k_loo.without_users(np.arange(150, ml100k_loo.train.n_users))
    result = tune_and_test("sasrec", split, grid=[{"max_epochs": 4, "patience": 1, "hidden": 16}])
    chosen = result.tuned_model.fit_log_["epochs"]
    assert result.params["max_epochs"] == chosen and result.params["early_stopping"] is False
    assert result.model.fit_log_["epochs"] == chosen and result.model.fit_log_["holdout_ndcg10"] is None


def test_without_early_stopping_the_last_item_is_a_training_target(ml100k_loo):
    train = ml100k_loo.train
    data = train.select(train.user_index < 200)
    settings = {"max_epochs": 2, "hidden": 16, "seed": 1}
    stopped = model_class("sasrec")(**settings).fit(data, ml100k_loo.catalog)
    every_item = model_class("sasrec")(**settings, early_stopping=False).fit(data, ml100k_loo.catalog)
    assert stopped.refit_settings() == {"max_epochs": stopped.epochs_, "early_stopping": False}
    assert every_item.refit_settings() == {} and every_item.epochs_ == 2
    histories = data.histories()[:10]
    assert not np.allclose(stopped.score(histories), every_item.score(histories))
