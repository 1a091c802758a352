"""Shilling attacks on ml-100k-loo's train part, and their detection without labels."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.errors import ConfigError
from llm4rec.evaluation.attacks import evaluate_attack
from llm4rec.feedback.attacks import ATTACKS, Attack, choose_target, inject, segment_items
from llm4rec.feedback.shilling import detect_fakes


@pytest.fixture(scope="module")
def train(ml100k_loo):
    return ml100k_loo.train


@pytest.fixture(scope="module")
def target(train):
    return choose_target(train, seed=0)


@pytest.mark.parametrize("kind", ATTACKS)
def test_fake_profiles_push_the_target_with_the_filler_asked_for(kind, train, ml100k_loo, target):
    attacked, fake = inject(train, ml100k_loo.catalog, Attack(kind, 0.03, 0.05, target, seed=1))
    n_fake = round(0.03 * train.n_users)
    assert fake.sum() == n_fake and attacked.n_users == train.n_users + n_fake
    assert len(attacked) > len(train) and attacked.items == train.items
    rows = fake[attacked.user_index]
    on_target = rows & (attacked.item_index == target)
    assert on_target.sum() == n_fake and np.all(attacked.ratings[on_target] == 5)
    per_fake = np.bincount(attacked.user_index[rows], minlength=attacked.n_users)[fake]
    selected = 10 if kind in ("bandwagon", "segment") else 0
    assert np.all(per_fake == round(0.05 * train.n_items) + selected + 1)
    assert attacked.timestamps[rows].min() >= train.timestamps.min()
    assert attacked.timestamps[rows].max() <= train.timestamps.max()
    if kind == "segment":
        filler = rows & ~np.isin(attacked.item_index, segment_items(train, ml100k_loo.catalog, target, 10)) \
            & (attacked.item_index != target)
        assert np.all(attacked.ratings[filler] == 1)


def test_attacks_are_seeded(train, ml100k_loo, target):
    first, _ = inject(train, ml100k_loo.catalog, Attack("random", 0.01, 0.05, target, seed=3))
    again, _ = inject(train, ml100k_loo.catalog, Attack("random", 0.01, 0.05, target, seed=3))
    assert np.array_equal(first.item_index, again.item_index) and np.array_equal(first.ratings, again.ratings)


def test_bad_attack_settings_are_refused(target):
    with pytest.raises(ConfigError, match="Unknown attack"):
        Attack("nuke", 0.03, 0.05, target)
    with pytest.raises(ConfigError, match="size"):
        Attack("random", 0.0, 0.05, target)


def test_clean_data_has_no_fakes(train):
    assert not detect_fakes(train).any()


@pytest.mark.parametrize("kind", ["random", "average", "bandwagon"])
def test_detection_precision_and_recall_at_three_percent(kind, train, ml100k_loo, target):
    attacked, fake = inject(train, ml100k_loo.catalog, Attack(kind, 0.03, 0.05, target, seed=2))
    flagged = detect_fakes(attacked)
    true_positives = (flagged & fake).sum()
    assert true_positives / flagged.sum() >= 0.9 and true_positives / fake.sum() >= 0.9


def test_filtering_undoes_the_attack(train, ml100k_loo, target):
    result = evaluate_attack(train, ml100k_loo.catalog, Attack("segment", 0.1, 0.05, target))
    assert result.target_hr10_attacked > result.target_hr10_before
    assert abs(result.target_hr10_filtered - result.target_hr10_before) <= 0.2 * max(result.target_hr10_before, 1e-3)
