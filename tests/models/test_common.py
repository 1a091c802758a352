"""Every registered model passes the shipped common check on real data."""

import pytest

from llm4rec.models.registry import MODELS
from llm4rec.testing import check_recommender

FAST_SETTINGS = {"als": {"iterations": 5}, "bpr": {"iterations": 30}, "bpr-sampled": {"epochs": 3},
                 "sasrec": {"max_epochs": 2}, "seqhybrid": {"max_epochs": 2}}


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
