"""Item cold-start protocol: the cold items leave training, and can be ranked among themselves."""

import numpy as np

from llm4rec.evaluation.cold_start import among_cold_items, item_cold_start, random_floor
from llm4rec.evaluation.ranking import evaluate
from llm4rec.models.registry import create_model


def test_cold_items_leave_training_and_are_the_only_targets(ml100k_loo):
    reduced, cases, cold = item_cold_start(ml100k_loo, share=0.2, seed=0)
    assert len(cold) == round(ml100k_loo.train.n_items * 0.2)
    assert not np.isin(reduced.train.item_index, cold).any()
    assert not np.isin(reduced.valid.item_index, cold).any()
    assert all(np.isin(targets, cold).all() for targets in cases.targets)


def test_among_cold_items_ranks_only_cold_items(ml100k_loo):
    reduced, cases, cold = item_cold_start(ml100k_loo, share=0.2, seed=0)
    pool = among_cold_items(cases, cold)
    model = create_model("text").fit(reduced.train_valid(), reduced.catalog)
    top = evaluate(model, pool, ks=(10,)).top_items
    assert np.isin(top, cold).all()
    everywhere, among = random_floor(cases)["HR@10"], random_floor(pool)["HR@10"]
    assert among > 4 * everywhere  # a fifth of the items compete, so a random list hits about five times as often
    assert evaluate(model, pool, ks=(10,)).summary["HR@10"] >= evaluate(model, cases, ks=(10,)).summary["HR@10"]
