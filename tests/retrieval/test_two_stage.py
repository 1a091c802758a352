"""Two-stage retrieval: candidates from an ANN index over the model's vectors, scored exactly."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.models.ease import EASE
from llm4rec.models.matrix_factorization import ALS
from llm4rec.retrieval.index import VectorIndex
from llm4rec.retrieval.two_stage import TwoStageRetriever, supports_two_stage


@pytest.fixture(scope="module")
def als(ml100k_loo):
    return ALS().fit(ml100k_loo.train)


def test_two_stage_keeps_the_exact_order_of_its_candidates(als, ml100k_loo):
    histories = ml100k_loo.train.histories()[:200]
    users = np.arange(200)
    exact, exact_scores = als.recommend(histories, k=10, users=users)
    graph = VectorIndex(als.item_embeddings(), exact_below=1)  # HNSW even on 1,682 items
    retriever = TwoStageRetriever(als, graph)
    items, scores = retriever.recommend(histories, k=10, users=users)
    for history, row in zip(histories, items, strict=True):
        assert not set(row) & set(history.tolist()), "seen items must be left out"
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(items, exact, strict=True)])
    assert overlap > 0.9, overlap
    same = (items == exact).all(axis=1)  # where the candidates hold the exact top 10, so do the scores
    np.testing.assert_allclose(scores[same], exact_scores[same], rtol=1e-5)
    assert same.mean() > 0.5


def test_every_candidate_gives_the_exact_answer(als, ml100k_loo):
    histories = ml100k_loo.train.histories()[:50]
    retriever = TwoStageRetriever(als, user_candidates=ml100k_loo.train.n_items)
    np.testing.assert_array_equal(retriever.recommend(histories, k=10, users=np.arange(50))[0],
                                  als.recommend(histories, k=10, users=np.arange(50))[0])


def test_models_without_user_vectors_are_served_exactly(als, ml100k_loo):
    assert supports_two_stage(als)
    assert not supports_two_stage(EASE().fit(ml100k_loo.train))
