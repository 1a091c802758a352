"""Every registered model passes the shipped common check on real data."""

import numpy as np
import pytest

from llm4rec.models.registry import MODELS
from llm4rec.testing import check_recommender

FAST_SETTINGS = {"als": {"iterations": 5}, "bpr": {"iterations": 30}, "bpr-sampled": {"epochs": 3},
                 "sasrec": {"max_epochs": 2}, "seqhybrid": {"max_epochs": 2},
                 "generative": {"max_epochs": 2, "levels": 2, "codebook_size": 32}}


@pytest.mark.parametrize("name", list(MODELS))
def test_common_checks(name, ml100k_loo, tmp_path):
    check_recommender(MODELS[name], ml100k_loo, tmp_path, FAST_SETTINGS.get(name))


def test_similar_items_excludes_the_item_itself(ml100k_loo):
    model = MODELS["itemknn"]().fit(ml100k_loo.train)
    items, scores = model.similar_items([0, 1], k=5)
    assert items.shape == (2, 5) and 0 not in items[0] and 1 not in items[1]
    assert (scores[:, :-1] >= scores[:, 1:]).all()


def test_popularity_cannot_give_item_similarities(ml100k_loo):
    model = MODELS["pop"]().fit(ml100k_loo.train)
    with pytest.raises(NotImplementedError, match="Popularity"):
        model.similar_items([0])


def test_declared_capabilities_match_the_settings_they_imply():
    """`reads_weights` models take `weighted`, `encodes_text` ones `text_model`; a model that reads
    text by default can encode it."""
    from llm4rec.models.registry import MODELS

    for cls in MODELS.values():
        assert cls.reads_weights == ("weighted" in cls.Config.model_fields), cls.name
        assert cls.encodes_text == ("text_model" in cls.Config.model_fields), cls.name
        assert cls.encodes_text or not cls.reads_text, cls.name
        assert cls.seeded == ("seed" in cls.Config.model_fields), cls.name


def test_the_hybrids_ease_fit_is_shared_through_the_tuning_runs_cache(ml100k_loo, monkeypatch):
    from llm4rec.models.base import FitCache
    from llm4rec.models.ease import EASE
    from llm4rec.models.hybrid import HybridBlend

    fits = []
    original = EASE.fit
    monkeypatch.setattr(EASE, "fit", lambda self, *a, **k: fits.append(1) or original(self, *a, **k))
    cache = FitCache()
    for weight in (0.1, 1.0):
        HybridBlend(l2=150.0, text_weight=weight).fit(ml100k_loo.train, None, cache)
    assert len(fits) == 1
    HybridBlend(l2=150.0).fit(ml100k_loo.train)  # no run, no cache: its own fit
    assert len(fits) == 2


def test_recent_popularity_counts_the_days_before_the_users_present():
    """Two items popular at different times: a user whose last item is from the second period
    gets the item popular then, never one counted after their present."""
    import numpy as np
    import pandas as pd

    from llm4rec.data.ids import IdMap
    from llm4rec.data.interactions import Interactions
    from llm4rec.models.popularity import RecentPopularity

    day = 86_400
    rows = [(f"u{i}", "old-hit", 0 * day + i) for i in range(30)]
    rows += [(f"v{i}", "new-hit", 50 * day + i) for i in range(10)]
    rows += [("w", "marker-early", 1 * day), ("w", "marker-late", 51 * day), ("x", "future", 200 * day)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).assign(rating=np.nan)
    data = Interactions.from_frame(frame, IdMap.from_values(frame["user_id"]), IdMap.from_values(frame["item_id"]))
    items = data.items
    model = RecentPopularity(window_days=7.0).fit(data)
    early, late = items.indices(["marker-early"]), items.indices(["marker-late"])
    assert items.ids[model.recommend([early], 1, exclude_seen=True)[0][0][0]] == "old-hit"
    late_top = model.recommend([late], 2)[0][0]
    assert items.ids[late_top[0]] == "new-hit"  # 10 clicks that week beat 30 long ago
    assert "future" not in set(items.ids[model.recommend([early], 3)[0][0][:1]])
    plain = RecentPopularity(window_days=None).fit(data)
    assert items.ids[plain.recommend([late], 1)[0][0][0]] == "old-hit"  # all time: the old hit


def test_the_ensembles_weights_come_from_valid_only(ml100k_loo):
    """Replacing the test part changes the test figures, never the weights chosen."""
    from dataclasses import replace

    from llm4rec.evaluation.protocol import tune_and_test
    from llm4rec.models.ensemble import Member, weight_grid

    members = [Member(model="ease", params={"l2": 150.0}), Member(model="pop")]
    grid = weight_grid(members)
    first = tune_and_test("ensemble", ml100k_loo, grid=grid)
    scrambled = ml100k_loo.test.select(np.random.default_rng(0).permutation(len(ml100k_loo.test)))
    scrambled.item_index[:] = np.random.default_rng(1).integers(0, ml100k_loo.test.n_items, len(scrambled))
    second = tune_and_test("ensemble", replace(ml100k_loo, test=scrambled), grid=grid)
    assert first.params == second.params and first.test["NDCG@10"] != second.test["NDCG@10"]
    best_valid = max(t["NDCG@10"] for t in first.tuning)
    assert first.valid["NDCG@10"] == best_valid


def test_the_ensemble_reuses_the_members_the_run_fitted(ml100k_loo, monkeypatch):
    """`evaluate` hands the ensemble its members as already fitted on train and on train+valid:
    tuning its weights and refitting fit no member again, with the same figures."""
    from llm4rec.cli.evaluation_run import fitted_members, strongest_tuned
    from llm4rec.evaluation.protocol import tune_and_test
    from llm4rec.models.ease import EASE
    from llm4rec.models.ensemble import weight_grid
    from llm4rec.models.itemknn import ItemKNN

    results = [tune_and_test("ease", ml100k_loo, grid=[{"l2": 150.0}]),
               tune_and_test("itemknn", ml100k_loo, grid=[{"k": 100, "shrink": 0.0}])]
    members = strongest_tuned(results)
    grid = weight_grid(members)[:3]
    fresh = tune_and_test("ensemble", ml100k_loo, grid=grid)

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{self.name} was fitted again")

    monkeypatch.setattr(EASE, "fit", refuse)
    monkeypatch.setattr(ItemKNN, "fit", refuse)
    reused = tune_and_test("ensemble", ml100k_loo, grid=grid, cache=fitted_members(members, results, ml100k_loo))
    assert reused.params == fresh.params and reused.test == fresh.test


def test_the_ensemble_scores_each_member_once_across_its_weightings(ml100k_loo, monkeypatch):
    """Tuning the weights reuses each member's z-scored scores of the ranked cases (ScoreMemo):
    a member scores the valid cases once for every weighting, with the figures of scoring afresh."""
    from llm4rec.evaluation.protocol import tune_and_test
    from llm4rec.models.ease import EASE
    from llm4rec.models.ensemble import Member, ScoreMemo, weight_grid

    grid = weight_grid([Member(model="ease", params={"l2": 150.0}), Member(model="pop")])
    scored, original = [], EASE._score

    def counted(self, histories, users):
        scored.append(len(histories))
        return original(self, histories, users)

    monkeypatch.setattr(EASE, "_score", counted)
    memoised = tune_and_test("ensemble", ml100k_loo, grid=grid)
    assert len(grid) == 5 and len(scored) == 2  # valid once (one batch) for 5 weightings, test once
    monkeypatch.setattr(ScoreMemo, "get", lambda self, key, compute: compute())
    afresh = tune_and_test("ensemble", ml100k_loo, grid=grid)
    assert len(scored) == 2 + 6 and afresh.tuning == memoised.tuning and afresh.test == memoised.test


def test_the_ensembles_cold_gate_scores_new_items_by_its_text_members_alone(ml100k_loo, tmp_path):
    """An item with no training interaction gets the text members' blend at the ensemble's scale;
    warm items keep their scores; without a text member (or with the gate off) nothing changes;
    a saved and loaded ensemble gates the same items."""
    from llm4rec.models.ensemble import Ensemble, Member
    from llm4rec.models.hybrid import row_zscore

    train, catalog = ml100k_loo.train, ml100k_loo.catalog
    cold = np.flatnonzero(train.item_counts() == 0)
    warm = np.setdiff1d(np.arange(train.n_items), cold)
    assert len(cold)  # ml-100k-loo's training part misses a few items
    histories = train.histories()[:20]
    members = [Member(model="ease", params={"l2": 150.0}), Member(model="text", weight=0.5)]
    gated = Ensemble(members=members).fit(train, catalog)
    plain = Ensemble(members=members, cold_gate=False).fit(train, catalog)
    a, b = gated.score(histories), plain.score(histories)
    assert np.allclose(a[:, warm], b[:, warm])
    text = row_zscore(gated.members_[1].score(histories).astype(np.float64))
    assert np.allclose(a[:, cold], (1.5 / 0.5) * 0.5 * text[:, cold])  # total weight / text weight
    assert (a[:, cold].max(axis=1) > b[:, cold].max(axis=1)).all()
    ids_only = Ensemble(members=[members[0], Member(model="pop")]).fit(train, catalog)
    assert not ids_only.cold_.any()
    gated.save(tmp_path / "ensemble")
    loaded = Ensemble.load(tmp_path / "ensemble")
    assert np.allclose(loaded.score(histories), a)
