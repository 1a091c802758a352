"""Hand-checked metric cases, ties counted against the target."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from llm4rec.data.interactions import Interactions
from llm4rec.evaluation.metrics import case_metrics, coverage, intra_list_diversity, target_ranks
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.base import Recommender


def test_rank_counts_ties_against_the_target():
    scores = np.array([[0.9, 0.5, 0.5, 0.1]])
    assert target_ranks(scores, np.array([0]), np.array([2])).tolist() == [3]
    constant = np.zeros((1, 100))
    assert target_ranks(constant, np.array([0]), np.array([42])).tolist() == [100]


def test_single_target_metrics_by_hand():
    ranks = np.array([1, 3, 11])
    m = case_metrics(ranks, np.array([0, 1, 2]), 3, (10,))
    assert m["HR@10"].tolist() == [1, 1, 0]
    assert m["NDCG@10"] == pytest.approx([1.0, 0.5, 0.0])
    assert m["MRR@10"] == pytest.approx([1.0, 1 / 3, 0.0])
    assert m["Precision@10"] == pytest.approx([0.1, 0.1, 0.0])
    assert m["Recall@10"].tolist() == m["HR@10"].tolist()


def test_two_targets_in_one_case():
    m = case_metrics(np.array([1, 4]), np.array([0, 0]), 1, (3,))
    assert m["HR@3"][0] == 1 and m["Recall@3"][0] == 0.5
    ideal = 1 + 1 / np.log2(3)
    assert m["NDCG@3"][0] == pytest.approx(1 / ideal)
    assert m["F1@3"][0] == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))


def test_coverage():
    assert coverage(np.array([[0, 1], [1, 2]]), 10) == pytest.approx(0.3)


class Fixed(Recommender):
    """Scores every item by its index: a deterministic model for evaluation tests."""

    name = "fixed"

    def fit(self, interactions, catalog=None):
        self.n_items_ = interactions.n_items
        return self

    def _score(self, histories, users):
        return np.tile(np.arange(self.n_items_, dtype=np.float32), (len(histories), 1))

    def _state(self):
        return {}

    def _restore(self, state):
        pass


def _table(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_known_items_are_removed_before_ranking():
    # Items scored by index, so item 4 is best. User a knows 4 and 3, so target 2 ranks first;
    # user b knows 0, and items 4, 3, 2 all score above target 1, so it ranks fourth.
    rows = [("a", "4", 1), ("a", "3", 2), ("b", "0", 1), ("a", "2", 3), ("b", "1", 2)]
    everything = Interactions.from_frame(_table(rows))
    train, test = everything.select(np.array([0, 1, 2])), everything.select(np.array([3, 4]))
    result = evaluate(Fixed().fit(train), EvalCases.build(train, test), ks=(1, 3))
    assert result.per_case["HR@1"].tolist() == [1.0, 0.0]
    assert result.per_case["HR@3"].tolist() == [1.0, 0.0]
    assert result.top_items[0, :1].tolist() == [2]


def test_nan_scores_are_an_error():
    class Broken(Fixed):
        def _score(self, histories, users):
            return np.full((len(histories), self.n_items_), np.nan)

    data = Interactions.from_frame(_table([("a", "1", 1), ("a", "2", 2)]))
    with pytest.raises(Exception, match="NaN"):
        evaluate(Broken().fit(data), EvalCases.build(data.select(np.array([0])), data.select(np.array([1]))))


def test_intra_list_diversity_is_the_mean_pairwise_distance_whatever_the_batch():
    rng = np.random.default_rng(0)
    vectors = rng.random((30, 50)) * (rng.random((30, 50)) < 0.3)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    lists = np.stack([rng.choice(30, 5, replace=False) for _ in range(7)])
    expected = np.mean([1 - vectors[a] @ vectors[b] for row in lists for i, a in enumerate(row) for b in row[i + 1:]])
    matrix = sp.csr_matrix(vectors)
    for batch in (1, 3, 256):
        assert intra_list_diversity(lists, matrix, lists_per_batch=batch) == pytest.approx(expected)


def test_full_ranking_scores_a_bounded_batch_of_users_at_a_time(monkeypatch):
    from llm4rec.data.splits import leave_one_out
    from llm4rec.data.synthetic import synthetic_log
    from llm4rec.evaluation import ranking

    shapes = []

    class Spy(Fixed):
        def _score(self, histories, users):
            shapes.append((len(histories), self.n_items_))
            return super()._score(histories, users)

    split = leave_one_out(Interactions.from_frame(synthetic_log(20_000, 500, 5_000, seed=1)))
    cases = EvalCases.build(split.train, split.test)
    model = Spy().fit(split.train)
    whole = evaluate(model, cases)
    assert shapes == [(len(cases), split.train.n_items)]  # the default budget takes these in one batch
    shapes.clear()
    monkeypatch.setattr(ranking, "SCORE_BUDGET", 30 * split.train.n_items)
    batched = evaluate(model, cases)
    assert max(rows for rows, _ in shapes) == 30 and sum(rows for rows, _ in shapes) == len(cases)
    assert batched.summary == pytest.approx(whole.summary)
    assert np.array_equal(batched.top_items, whole.top_items)
