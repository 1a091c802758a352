"""Explanations on real data: grounded in the user's history, faithful, worded from evidence."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.explain.evidence import explain, faithful, leave_one_out
from llm4rec.explain.sentences import article_first, explain_recommendations, sentence
from llm4rec.models.ease import EASE
from llm4rec.models.text_content import TextContent


@pytest.fixture(scope="module")
def ease(ml100k_loo):
    return EASE(l2=150.0).fit(ml100k_loo.train)


def test_leave_one_out_equals_the_ease_weights(ease, ml100k_loo):
    history = ml100k_loo.train.histories()[0]
    items = np.array([49, 180])
    drops = leave_one_out(ease, history, items)
    assert np.allclose(drops, ease.weights_[np.ix_(history, items)].T, atol=1e-5)


@pytest.mark.parametrize("model_name", ["ease", "text"])
def test_cited_items_come_from_the_history_and_removing_them_lowers_the_score(model_name, ease, ml100k_loo):
    model = ease if model_name == "ease" else TextContent().fit(ml100k_loo.train, ml100k_loo.catalog)
    histories = ml100k_loo.train.histories()
    verdicts = []
    for user in range(0, 300, 15):
        items = model.recommend([histories[user]], 5)[0][0]
        for evidence in explain(model, histories[user], items, ml100k_loo.train, ml100k_loo.catalog):
            assert set(evidence.history_items) <= set(histories[user]) and len(evidence.history_items) <= 3
            assert evidence.contributions == sorted(evidence.contributions, reverse=True)
            verdicts.append(faithful(model, histories[user], evidence))
    cited = [v for v in verdicts if v is not None]
    assert len(cited) >= 0.9 * len(verdicts) and np.mean(cited) >= 0.9


def test_the_sentence_names_only_evidence(ease, ml100k_loo):
    train, catalog = ml100k_loo.train, ml100k_loo.catalog
    history = train.histories()[train.users.index("1")]
    items = ease.recommend([history], 3)[0][0]
    for evidence in explain(ease, history, items, train, catalog):
        english = sentence(evidence, train.items, catalog)
        for title in map(article_first, catalog.titles(train.items.ids[evidence.history_items])):
            assert title in english and f"《{title}" in sentence(evidence, train.items, catalog, "zh")
        assert english.startswith("Because you liked") and all(a in english for a in evidence.attributes)


def test_json_shape(ease, ml100k_loo):
    train = ml100k_loo.train
    history = train.histories()[train.users.index("1")]
    out = explain_recommendations(ease, train, ml100k_loo.catalog, "1", history, np.array([train.items.index("50")]))
    assert set(out) == {"user_id", "recommendations"} and out["user_id"] == "1"
    entry = out["recommendations"][0]
    assert set(entry) == {"item_id", "title", "score", "evidence", "explanation"}
    assert entry["item_id"] == "50" and entry["title"] == "Star Wars"
    assert set(entry["evidence"]) == {"history_items", "avoided_items", "attributes", "popularity"}
    assert all(isinstance(i, str) for i in entry["evidence"]["history_items"])


def test_an_empty_history_explains_without_citing(ease, ml100k_loo):
    (evidence,) = explain(ease, np.zeros(0, np.int64), np.array([49]), ml100k_loo.train, ml100k_loo.catalog)
    assert evidence.history_items == [] and faithful(ease, np.zeros(0, np.int64), evidence) is None
    assert sentence(evidence, ml100k_loo.train.items, ml100k_loo.catalog).startswith("It fits your overall taste")


def test_explanations_never_call_a_disliked_item_liked(ml100k_loo):
    """User 1 rated The Aristocats 2 of 5; it used to be cited six times in their top 10."""
    from llm4rec.profiles.ratings import history_ratings, liked_mask, rating_scale_top

    train = ml100k_loo.train
    model = EASE(l2=150.0).fit(train)
    for user in ("1", "2", "13", "500"):
        history = train.histories()[train.users.index(user)]
        ratings = history_ratings(train, user, history)
        liked = dict(zip(history.tolist(), liked_mask(ratings, rating_scale_top(train)).tolist(), strict=True))
        rated = dict(zip(history.tolist(), ratings.tolist(), strict=True))
        items = model.recommend([history], 10)[0][0]
        cited = [i for e in explain(model, history, items, train, ml100k_loo.catalog, ratings) for i in e.history_items]
        assert cited and all(liked[i] and rated[i] >= 3 for i in cited), user
        assert min(rated.values()) < 3  # each of these users has low ratings that could have been cited
    assert liked_mask(np.array([1.0, 1.0]), 1.0).all()  # implicit data: every interaction is liked
    assert liked_mask(np.array([np.nan, 2.0, 5.0]), 5.0).tolist() == [True, False, True]


def test_a_disliked_item_that_lowered_the_score_is_cited_as_unlike(ml100k_loo):
    from llm4rec.profiles.ratings import history_ratings

    train = ml100k_loo.train
    model = EASE(l2=150.0).fit(train)
    sentences = []
    for user in ("1", "2", "13", "500"):
        history = train.histories()[train.users.index(user)]
        ratings = history_ratings(train, user, history)
        rated = dict(zip(history.tolist(), ratings.tolist(), strict=True))
        items = model.recommend([history], 10)[0][0]
        drops = leave_one_out(model, history, items)
        for row, evidence in enumerate(explain(model, history, items, train, ml100k_loo.catalog, ratings)):
            for avoided in evidence.avoided_items:
                assert rated[avoided] < 3 or rated[avoided] < np.nanmean(ratings)  # disliked
                assert drops[row, history.tolist().index(avoided)] < 0  # its presence lowered the score
                text = sentence(evidence, train.items, ml100k_loo.catalog)
                assert ", which you rated low" in text and article_first(
                    ml100k_loo.catalog.titles([train.items.ids[avoided]])[0]) in text
                sentences.append(text)
    assert sentences  # EASE has negative weights: some disliked item lowered some recommendation
