"""The common model check: fits, ranks, excludes seen items, saves and loads exactly,
handles new and empty histories, rejects unknown settings, beats random on real data, and
(where a model exposes user vectors) scores as their inner products with its item vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from llm4rec.data.splits import Split
from llm4rec.errors import ConfigError, NotFittedError
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.base import Recommender


def check_recommender(cls: type[Recommender], split: Split, tmp_path: Path, params: dict | None = None) -> dict:
    """Run every common check on `split` (real data); return the valid figures for reuse."""
    params = params or {}
    model = cls(**params)
    try:
        model.score([np.array([0])])
        raise AssertionError(f"{cls.__name__} scored before fit")
    except NotFittedError:
        pass
    try:
        cls(**params, no_such_setting=1)
        raise AssertionError(f"{cls.__name__} accepted an unknown setting")
    except ConfigError as error:
        assert "no_such_setting" in str(error), "the error must name the unknown setting"

    assert model.fit(split.train, split.catalog) is model, "fit must return self"
    n_items = split.train.n_items
    histories = split.train.histories()[:50]
    users = np.arange(50)
    scores = model.score(histories, users=users)
    assert scores.shape == (50, n_items) and scores.dtype == np.float32
    assert np.isfinite(scores).all(), "scores must be finite"

    items, top_scores = model.recommend(histories, k=10, users=users)
    assert items.shape == (50, 10)
    assert np.all(np.diff(top_scores, axis=1) <= 0), "recommendations must be best first"
    for history, row in zip(histories, items, strict=True):
        assert not set(row) & set(history.tolist()), "seen items must be excluded"

    vectors = model.user_vectors(histories, users=users)
    if vectors is not None:  # two-stage retrieval relies on these products being the scores
        np.testing.assert_allclose(vectors @ model.item_embeddings().T, scores, rtol=1e-4, atol=1e-4)

    new_user = model.score([np.array([0, 1, 2]), np.array([], dtype=np.int64)])
    assert new_user.shape == (2, n_items) and np.isfinite(new_user).all(), "new and empty histories"

    folder = model.save(tmp_path / cls.name)
    restored = cls.load(folder)
    np.testing.assert_array_equal(restored.score(histories, users=users), scores)
    assert restored.params == model.params

    figures = evaluate(model, EvalCases.build(split.train, split.valid)).summary
    known = np.mean([len(h) for h in split.train.histories()])
    random_hr = 10 / (n_items - known)
    assert figures["HR@10"] > 3 * random_hr, f"{cls.__name__} HR@10 {figures['HR@10']:.4f} vs random {random_hr:.4f}"
    return figures
