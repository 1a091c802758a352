"""Versioned bundles: round trip, newest version, refusal of foreign folders, forgetting."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llm4rec.errors import ConfigError
from llm4rec.models.matrix_factorization import ALS
from llm4rec.serving.bundle import forget_user_in_bundle, latest_bundle, load_bundle, save_bundle


def test_round_trip_keeps_scores_ids_titles_and_a_manifest(bundle_root, fitted_ease, ml100k_loo):
    bundle = load_bundle(bundle_root)
    histories = ml100k_loo.train.histories()[:5]
    assert np.array_equal(bundle.model.score(histories), fitted_ease.score(histories))
    assert bundle.interactions.users == ml100k_loo.train.users and bundle.interactions.items == ml100k_loo.train.items
    assert bundle.catalog.titles(["50"]) == ["Star Wars"]
    manifest = bundle.manifest
    assert manifest["model"] == "ease" and manifest["params"]["l2"] == 150.0
    assert manifest["params"]["dp_epsilon"] is None
    assert manifest["data"]["interactions"] == len(ml100k_loo.train) and len(manifest["data"]["fingerprint"]) == 64
    assert manifest["created"] and manifest["version"] == bundle.path.name


def test_the_newest_version_is_served_and_partial_folders_are_ignored(bundle_root, fitted_ease, ml100k_loo):
    first = latest_bundle(bundle_root)
    second = save_bundle(fitted_ease, ml100k_loo.train, None, bundle_root)
    (bundle_root / "ease" / ".99999999T000000Z.partial").mkdir()
    assert latest_bundle(bundle_root) == second and latest_bundle(first) == first
    assert latest_bundle(bundle_root / "ease") == second


def test_a_folder_without_bundles_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="No model bundle"):
        latest_bundle(tmp_path)


def test_forgetting_clears_per_user_factors(tmp_path, ml100k_loo):
    folder = save_bundle(ALS(factors=8, iterations=2).fit(ml100k_loo.train), ml100k_loo.train, None, tmp_path)
    bundle = load_bundle(folder)
    position = bundle.interactions.users.index("5")
    assert forget_user_in_bundle(bundle, "5") and not forget_user_in_bundle(bundle, "5")
    reloaded = load_bundle(folder)
    assert not reloaded.model.user_factors_[position].any()
    assert "5" not in json.loads((folder / "ids.json").read_text())["users"]
    assert "5" not in set(reloaded.interactions.users.ids[reloaded.interactions.user_index])
