"""Generative retrieval: semantic IDs, the code trie, constrained decoding and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from llm4rec.data.split_dir import write_split_dir
from llm4rec.data.splits import Split
from llm4rec.models.base import Recommender
from llm4rec.models.code_trie import CodeTrie
from llm4rec.models.generative import GenerativeRecommender
from llm4rec.models.semantic_ids import assign, fit_semantic_ids
from llm4rec.models.sequential import SequentialRecommender


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(12, 16))
    points = centres[rng.integers(0, 12, 600)] + 0.3 * rng.normal(size=(600, 16))
    points[590:] = points[0]  # ten items with the same text as item 0
    return points.astype(np.float32)


def test_every_item_gets_a_unique_code_sequence_even_with_identical_text(vectors):
    ids = fit_semantic_ids(vectors, levels=2, codebook_size=8)
    assert ids.codes.shape == (600, 3)
    assert len(np.unique(ids.codes, axis=0)) == 600
    twins = ids.codes[[0, *range(590, 600)]]
    assert (twins[:, :2] == twins[0, :2]).all() and len(set(twins[:, 2])) == 11  # told apart by the last level
    stats = ids.statistics(vectors)
    assert stats["largest_collision"] >= 11 and stats["collision_level_size"] == stats["largest_collision"]


def test_reconstruction_error_falls_with_every_level(vectors):
    errors = [level["relative_error"] for level in fit_semantic_ids(vectors, levels=4, codebook_size=8)
              .statistics(vectors)["levels"]]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:], strict=False)), errors
    assert errors[0] < 1.0


def test_new_items_are_coded_by_the_codebooks_learned_without_them(vectors):
    ids = fit_semantic_ids(vectors, levels=2, codebook_size=8, fit_rows=np.arange(300))
    np.testing.assert_array_equal(assign(vectors[300:], ids.codebooks), ids.codes[300:, :2])


def test_a_level_never_has_more_codes_than_distinct_vectors():
    ids = fit_semantic_ids(np.eye(3, dtype=np.float32).repeat(4, axis=0), levels=2, codebook_size=64)
    assert [len(book) for book in ids.codebooks] == [3, 1]
    assert len(np.unique(ids.codes, axis=0)) == 12


def test_the_trie_leads_from_the_root_to_every_item_and_nowhere_else():
    codes = np.array([[0, 1, 0], [0, 1, 1], [2, 0, 0], [1, 1, 0]])
    trie = CodeTrie.build(codes, [3, 2, 2])
    for item, row in enumerate(codes):
        node = 0
        for level, code in enumerate(row):
            node = trie.children[level][node, code]
        assert node == item
    assert (trie.children[0][0] >= 0).sum() == 3 and (trie.children[2] >= 0).sum() == 4


@pytest.fixture(scope="module")
def fitted(ml100k_loo):
    return GenerativeRecommender(max_epochs=2, levels=2, codebook_size=32).fit(ml100k_loo.train, ml100k_loo.catalog)


def test_exact_scores_are_log_likelihoods_of_the_constrained_distribution(fitted, ml100k_loo):
    scores = fitted.score(ml100k_loo.train.histories()[:5])
    assert (scores <= 0).all()
    np.testing.assert_allclose(np.exp(scores.astype(np.float64)).sum(axis=1), 1.0, rtol=1e-3)


def test_beam_search_returns_only_real_unseen_items_and_is_exact_when_wide(fitted, ml100k_loo, tmp_path):
    histories = ml100k_loo.train.histories()[:20]
    items, scores = fitted.recommend(histories, k=10)
    assert ((items >= 0) & (items < fitted.n_items_)).all() and np.isfinite(scores).all()
    for history, row in zip(histories, items, strict=True):
        assert not set(row) & set(history.tolist()) and len(set(row)) == 10
    exact_items, exact_scores = Recommender.recommend(fitted, histories, k=10)
    np.testing.assert_allclose(scores, np.take_along_axis(fitted.score(histories), items, axis=1), rtol=1e-5)
    wide = GenerativeRecommender.load(fitted.save(tmp_path / "model"))
    wide.config = wide.config.model_copy(update={"beam": fitted.n_items_})  # keeps every prefix: no pruning
    wide_items, wide_scores = wide.recommend(histories, k=10)
    np.testing.assert_allclose(wide_scores, exact_scores, rtol=1e-5)
    assert (wide_items == exact_items).mean() > 0.95  # equal up to ties


def test_early_stopping_reads_the_served_list_and_agrees_with_exact_ranks(fitted, ml100k_loo, tmp_path):
    histories = [h for h in ml100k_loo.train.histories()[:60] if len(h) >= 3]
    prefixes, users = [h[:-1] for h in histories], np.arange(len(histories))
    exact = GenerativeRecommender.load(fitted.save(tmp_path / "model"))
    exact.config = exact.config.model_copy(update={"decoding": "exact"})
    by_exact_list = exact._holdout_ndcg(prefixes, histories, users)
    assert by_exact_list == pytest.approx(SequentialRecommender._holdout_ndcg(exact, prefixes, histories, users))
    assert 0 <= fitted._holdout_ndcg(prefixes, histories, users) <= 1


def test_cli_semantic_ids_then_train_and_recommend_on_a_slice(run_main, ml100k_loo, tmp_path):
    users = ml100k_loo.train.user_index < 120
    parts = [part.select(part.user_index < 120) for part in (ml100k_loo.valid, ml100k_loo.test)]
    folder = write_split_dir(Split(ml100k_loo.train.select(users), *parts, ml100k_loo.catalog,
                                   ml100k_loo.protocol, "slice"), tmp_path / "slice")
    code, output = run_main("semantic-ids", "--split-dir", str(folder), "--out", str(tmp_path / "ids"),
                            "--levels", "2", "--codebook-size", "16")
    assert code == 0, output
    codes = pd.read_csv(tmp_path / "ids" / "codes.tsv", sep="\t", dtype={"item_id": str})
    assert list(codes.columns) == ["item_id", "level_1", "level_2", "collision"]
    assert not codes.duplicated(["level_1", "level_2", "collision"]).any()
    assert json.loads((tmp_path / "ids" / "statistics.json").read_text())["levels"][0]["codebook_size"] == 16

    bundles = tmp_path / "bundles"
    code, output = run_main("train", "--split-dir", str(folder), "--model", "generative", "--out", str(bundles),
                            "--params", '{"max_epochs": 2, "levels": 2, "codebook_size": 16}')
    assert code == 0, output
    code, output = run_main("recommend", "--model-dir", str(bundles), "--user", "1", "-k", "5", "--explain", "--json")
    assert code == 0, output
    answer = json.JSONDecoder().raw_decode(output[output.index("{"):])[0]
    assert len(answer["items"]) == 5 and set(answer["items"][0]) >= {"item_id", "score"}
