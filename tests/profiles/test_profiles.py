"""Profiles read only data before the split point, and say something true about the user."""

import numpy as np
import pandas as pd

from llm4rec.profiles.summary import profile_at_split_point, texts_before
from llm4rec.profiles.vectors import profile_vectors, recency_weights


def test_recency_weights_halve_per_half_life():
    np.testing.assert_allclose(recency_weights(3, 1.0), [0.25, 0.5, 1.0])
    np.testing.assert_allclose(recency_weights(3, 0), [1, 1, 1])


def test_profile_vector_is_the_weighted_mean_direction():
    items = np.eye(3, dtype=np.float32)
    vector = profile_vectors([np.array([0, 2])], items, half_life=1.0)[0]
    np.testing.assert_allclose(vector, np.array([0.5, 0, 1]) / np.linalg.norm([0.5, 0, 1]), rtol=1e-6)
    assert not profile_vectors([np.array([], dtype=np.int64)], items).any()


def test_own_texts_after_the_split_point_are_never_read():
    texts = pd.DataFrame({"user_id": ["7", "7", "8"], "item_id": ["a", "b", "a"],
                          "text": ["loved it", "FUTURE REVIEW", "other user"], "timestamp": [10, 30, 5]})
    assert texts_before(texts, "7", cutoff=20) == ["loved it"]


def test_readable_profile_uses_train_only(ml100k_loo):
    summary = profile_at_split_point(ml100k_loo, "1", None)
    u = ml100k_loo.train.users.index("1")
    assert summary["history_length"] == int((ml100k_loo.train.user_index == u).sum())
    test_item = ml100k_loo.test.items.ids[ml100k_loo.test.item_index[ml100k_loo.test.user_index == u][0]]
    assert ml100k_loo.catalog.titles([test_item])[0] not in summary["recent_items"]
    assert summary["top_genres"][0]["value"] in {"Drama", "Comedy"}
    assert 1940 < summary["typical_era"]["median_year"] < 2000


def test_the_profile_names_disliked_themes_from_ratings(ml100k_loo):
    import numpy as np

    from llm4rec.profiles.ratings import history_ratings, liked_mask, rating_scale_top
    from llm4rec.profiles.summary import describe, readable_profile

    train = ml100k_loo.train
    found = 0
    for user in train.users.ids[:60]:
        history = train.histories()[train.users.index(user)]
        liked = liked_mask(history_ratings(train, user, history), rating_scale_top(train))
        profile = readable_profile(history, train.items, ml100k_loo.catalog, liked=liked)
        for entry in profile.get("disliked_genres", []):
            found += 1
            genres = ml100k_loo.catalog.aligned(train.items).iloc[history]["genres"].astype(str)
            has = genres.str.split("|").apply(lambda values, v=entry["value"]: v in values).to_numpy()
            assert has[~liked].mean() > has[liked].mean()  # more common among what they disliked
            assert "less keen on" in describe(profile)
            assert entry["value"] not in [e["value"] for e in profile["top_genres"][:3]]  # no "X; less keen on X"
    assert found  # some of these users dislike a genre more than they like it
    assert "disliked_genres" not in readable_profile(np.array([0, 1]), train.items, ml100k_loo.catalog,
                                                     liked=np.array([True, True]))
