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
