"""Batched full ranking of every evaluation case over all items, known items removed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from llm4rec.data.interactions import Interactions
from llm4rec.distributed import batch_bounds, map_batches
from llm4rec.errors import Llm4RecError
from llm4rec.evaluation.metrics import case_metrics, coverage, intra_list_diversity, novelty, target_ranks
from llm4rec.models.base import SCORE_BUDGET, Recommender, top_k
from llm4rec.progress import track


@dataclass
class EvalCases:
    """What one evaluation asks: per case a user, the history the model sees, the items
    excluded from the ranking (the user's known items) and the held-out targets."""

    users: np.ndarray
    histories: list[np.ndarray]
    known: sp.csr_matrix
    targets: list[np.ndarray]
    history_part: Interactions

    @classmethod
    def build(cls, history_part: Interactions, target_part: Interactions) -> EvalCases:
        """One case per user with a target row; history and exclusions from `history_part`."""
        users = np.unique(target_part.user_index)
        histories = history_part.histories()
        target_lists = target_part.histories()
        return cls(
            users=users,
            histories=[histories[u] for u in users],
            known=history_part.matrix()[users],
            targets=[np.unique(target_lists[u]) for u in users],
            history_part=history_part,
        )

    def __len__(self) -> int:
        return len(self.users)


@dataclass
class Evaluation:
    """Per-case metric arrays, the top lists, and the aggregate figures."""

    per_case: dict[str, np.ndarray]
    top_items: np.ndarray
    summary: dict[str, float]
    cases: EvalCases


def rank_batch(model: Recommender, cases: EvalCases, start: int, stop: int,
               list_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks of the targets, their case numbers and the top items of cases start..stop: the
    unit of work, the same in one process and on a Ray cluster."""
    scores = model.score(cases.histories[start:stop], users=cases.users[start:stop])
    if np.isnan(scores).any():
        raise Llm4RecError(f"{type(model).__name__} returned NaN scores; the model is broken.")
    targets = cases.targets[start:stop]
    rows = np.repeat(np.arange(stop - start), [len(t) for t in targets])
    items = np.concatenate(targets)
    target_scores = scores[rows, items]
    scores[cases.known[start:stop].nonzero()] = -np.inf
    scores[rows, items] = target_scores  # a target the user had met before stays rankable
    return target_ranks(scores, rows, items), rows + start, top_k(scores, list_length)[0]


def evaluate(
    model: Recommender, cases: EvalCases, ks: tuple[int, ...] = (10, 20), progress: bool = False,
    ray: str | None = None,
) -> Evaluation:
    """Rank all items for every case and compute accuracy and beyond-accuracy metrics; with
    `ray` ('auto' or a cluster address) the batches run as Ray tasks (see `distributed`)."""
    n_items = cases.history_part.n_items
    batch = max(1, min(2048, SCORE_BUDGET // max(n_items, 1)))
    list_length = max(ks)
    bounds = batch_bounds(len(cases), batch)
    if ray is None:
        parts = [rank_batch(model, cases, start, stop, list_length)
                 for start, stop in track(bounds, "ranking", enabled=progress and len(bounds) > 1)]
    else:
        parts = map_batches(rank_batch, model, cases, bounds, list_length, address=ray)
    ranks, case_rows, tops = (np.concatenate(column) for column in zip(*parts, strict=True))
    per_case = case_metrics(ranks, case_rows, len(cases), ks)
    summary = {name: float(values.mean()) for name, values in per_case.items()}
    summary |= beyond_accuracy(tops, cases.history_part, ks)
    return Evaluation(per_case, tops, summary, cases)


def beyond_accuracy(top_items: np.ndarray, train: Interactions, ks: tuple[int, ...]) -> dict[str, float]:
    """Catalogue coverage and novelty at each k; intra-list diversity at the smallest k
    (1 - cosine between items' co-interaction vectors in the history data)."""
    counts = train.item_counts()
    out = {}
    for k in ks:
        out[f"Coverage@{k}"] = coverage(top_items[:, :k], train.n_items)
        out[f"Novelty@{k}"] = novelty(top_items[:, :k], counts, train.n_users)
    item_vectors = train.matrix().T.tocsr()
    norms = np.sqrt(np.asarray(item_vectors.multiply(item_vectors).sum(axis=1)).ravel())
    item_vectors = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ item_vectors
    out[f"ILD@{min(ks)}"] = intra_list_diversity(top_items[:, : min(ks)], item_vectors.tocsr())
    return out
