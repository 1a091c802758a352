"""Item cold start: a share of items loses every training interaction; only test cases whose
target is one of them are scored, so models that need interactions cannot reach them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from llm4rec.data.splits import Split
from llm4rec.evaluation.ranking import EvalCases


def item_cold_start(split: Split, share: float = 0.2, seed: int = 0) -> tuple[Split, EvalCases, np.ndarray]:
    """(split without the cold items' train/valid rows, test cases with a cold target, cold items)."""
    rng = np.random.default_rng(seed)
    cold = rng.choice(split.train.n_items, size=round(split.train.n_items * share), replace=False)
    warm = [part.select(~np.isin(part.item_index, cold)) for part in (split.train, split.valid)]
    reduced = Split(*warm, split.test, split.catalog,
                    f"{split.protocol}; item cold start: {share:.0%} of items (seed {seed}) "
                    "without training interactions", split.name)
    targets = split.test.select(np.isin(split.test.item_index, cold))
    return reduced, EvalCases.build(reduced.train_valid(), targets), cold


def among_cold_items(cases: EvalCases, cold: np.ndarray) -> EvalCases:
    """The same cases ranked among the cold items only (every other item counts as known): the
    item cold-start evaluation of content-based work such as DropoutNet, which asks how well a
    model orders new items against each other, apart from how it trades them against items that
    have interactions (where a model that learned from behaviour rightly prefers the latter)."""
    warm = np.ones(cases.history_part.n_items, dtype=np.float32)
    warm[cold] = 0.0
    warm_for_every_case = sp.csr_matrix(np.ones((len(cases), 1), dtype=np.float32)) @ sp.csr_matrix(warm)
    return replace(cases, known=cases.known.maximum(warm_for_every_case).tocsr())


def random_floor(cases: EvalCases, k: int = 10) -> dict[str, float]:
    """Expected HR@k and NDCG@k of a uniformly random ranking of each case's candidates."""
    candidates = cases.history_part.n_items - np.asarray(cases.known.sum(axis=1)).ravel()
    gains = 1.0 / np.log2(np.arange(2, k + 2))
    return {f"HR@{k}": float(np.mean(np.minimum(k, candidates) / candidates)),
            f"NDCG@{k}": float(np.mean(gains.sum() / candidates))}
