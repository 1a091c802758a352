"""A tuned ensemble: the z-scored scores of other registered models, weighted.

The hybrid blend generalised to any members. `llm4rec evaluate` builds its grid from the models it
has just tuned (the strongest few by valid NDCG@10, each with the settings it chose) and tunes the
weights on valid like any other setting; the members are fitted once per tuning run (the run's
FitCache, keyed by `member_key`), not once per weight, and `evaluate` hands it the members it has
already fitted, on train and on train+valid, so the ensemble fits nothing again. Each member's
z-scored scores of the ranked cases are kept in the same FitCache (`ScoreMemo`, bounded), so a
weighting costs one sum and one ranking, not a scoring pass of every member.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import SCORE_BUDGET, FitCache, ModelConfig, Recommender
from llm4rec.models.hybrid import row_zscore

WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)  # for each member after the first, whose weight is 1
DEFAULT_MEMBERS = ("ease", "recent-pop")
STRONGEST = 4  # members `evaluate` blends: a 4th gained on Amazon's valid, a 5th did not (ensemble_members.py)


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    model: str
    params: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(1.0, ge=0)


class EnsembleConfig(ModelConfig):
    members: list[Member] = Field(default_factory=lambda: [Member(model=m) for m in DEFAULT_MEMBERS],
                                  description="models blended, each with its settings and weight")
    cold_gate: bool = Field(True, description="score items without training interactions by the members that "
                            "read their text alone (at the blend's scale), so new items can be recommended")


def strongest(tuned: Sequence[tuple[str, dict[str, Any], float]], top: int = STRONGEST) -> list[Member]:
    """The `top` tuned models (name, chosen settings, valid NDCG@10) as members, best first."""
    ranked = sorted((t for t in tuned if t[0] != Ensemble.name), key=lambda t: -t[2])[:top]
    return [Member(model=name, params=params) for name, params, _ in ranked]


def member_key(member: Member, data_fingerprint: str) -> tuple:
    """How a fitted member is found in a FitCache: its model, settings and training data."""
    return ("member", member.model, json.dumps(member.params, sort_keys=True, default=str), data_fingerprint)


def weight_grid(members: list[Member]) -> list[dict[str, Any]]:
    """Every weighting of `members` from WEIGHTS, the first member's weight fixed at 1."""
    grid = []
    for weights in itertools.product(WEIGHTS, repeat=len(members) - 1):
        blend = [m.model_copy(update={"weight": w}) for m, w in zip(members, (1.0, *weights), strict=True)]
        grid.append({"members": [m.model_dump() for m in blend]})
    return grid


class ScoreMemo:
    """Members' z-scored scores by (member, cases), shared by the weightings of one tuning run.

    Bounded by `budget` stored elements (float64: about 640 MB at twice SCORE_BUDGET); past it
    scores are computed again, as without the memo.
    """

    def __init__(self, budget: int = 2 * SCORE_BUDGET) -> None:
        self.budget, self.stored = budget, 0
        self._scores: dict[tuple, np.ndarray] = {}

    def get(self, key: tuple, compute) -> np.ndarray:
        if key in self._scores:
            return self._scores[key]
        scores = compute()
        if self.stored + scores.size <= self.budget:
            self._scores[key] = scores
            self.stored += scores.size
        return scores


def cases_key(histories: Sequence[np.ndarray], users: np.ndarray | None) -> str:
    """A digest of a batch of histories (and their users): the same cases give the same key."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.array([len(h) for h in histories], np.int64).tobytes())
    for history in histories:
        digest.update(np.asarray(history, np.int64).tobytes())
    digest.update(b"-" if users is None else np.asarray(users, np.int64).tobytes())
    return digest.hexdigest()


class Ensemble(Recommender):
    """sum over members of weight * z(member scores); members with weight 0 are not fitted.

    An item nobody interacted with in training has no collaborative score worth the name (EASE
    gives it 0, SASRec an empty ID), so with `cold_gate` and a catalogue its score is the blend of
    the members that read text only (text, hybrid, seqhybrid, generative), scaled by the total
    weight over theirs: the score it would have if the other members agreed with its text, as in
    the hybrid's gate. Every other item's score is unchanged."""

    name = "ensemble"
    Config = EnsembleConfig
    fit_cache_entries = 7  # every member (up to 6) stays fitted across the weight grid, beside the ScoreMemo
    memo_: ScoreMemo | None = None  # set by a fit with a tuning run's cache; a loaded model has none

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return weight_grid(EnsembleConfig().members)

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        from llm4rec.models.registry import create_model

        self.members_ = []
        data = interactions.fingerprint() if cache is not None else ""
        self.memo_ = None if cache is None else cache.get_or_fit(("member scores", data), ScoreMemo)
        for member in self._active():
            def fit(member: Member = member) -> Recommender:
                return create_model(member.model, **member.params).fit(interactions, catalog)

            self.members_.append(fit() if cache is None else cache.get_or_fit(member_key(member, data), fit))
        gated = self.config.cold_gate and catalog is not None and self._text_weight() > 0
        self.cold_ = (interactions.item_counts() == 0) if gated else np.zeros(interactions.n_items, dtype=bool)
        self.n_items_ = interactions.n_items
        return self

    def _text_weight(self) -> float:
        """The total weight of the active members that can score an item from its text."""
        from llm4rec.models.registry import MODELS

        return sum(m.weight for m in self._active() if MODELS[m.model].reads_text)

    def _active(self) -> list[Member]:
        return [m for m in self.config.members if m.weight > 0]

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        from llm4rec.models.registry import MODELS

        total = np.zeros((len(histories), self.n_items_))
        cold = np.flatnonzero(self.cold_)
        from_text = np.zeros((len(histories), len(cold)))
        cases = None if self.memo_ is None else cases_key(histories, users)
        for member, model in zip(self._active(), self.members_, strict=True):
            def zscored(model: Recommender = model) -> np.ndarray:
                return row_zscore(model.score(histories, users).astype(np.float64))

            scores = zscored() if self.memo_ is None else self.memo_.get(member_key(member, cases), zscored)
            total += member.weight * scores
            if len(cold) and MODELS[member.model].reads_text:
                from_text += member.weight * scores[:, cold]
        if len(cold):
            total[:, cold] = sum(m.weight for m in self._active()) / self._text_weight() * from_text
        return total

    def forget_users(self, users: np.ndarray) -> None:
        self.memo_ = None  # the members' scores change
        for model in self.members_:
            model.forget_users(users)

    def _state(self) -> dict[str, np.ndarray]:
        return {"cold_": self.cold_} | {f"m{i}.{name}": array for i, model in enumerate(self.members_)
                                        for name, array in model._state().items()}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        from llm4rec.models.registry import create_model

        self.cold_ = state.get("cold_", np.zeros(self.n_items_, dtype=bool))  # bundles saved before the gate
        self.members_ = []
        for i, member in enumerate(self._active()):
            model = create_model(member.model, **member.params)
            model.n_items_ = self.n_items_
            model._restore({name[len(f"m{i}."):]: array for name, array in state.items() if name.startswith(f"m{i}.")})
            self.members_.append(model)
