"""Slate policies of the ranking stage: they rerank a model's candidates for a batch of users
and (the bandits) learn online from the clicks those slates get.

All policies share one batched interface, so the simulator runs every user of a round at
once and the service calls the same code with one user:
`select(context, k, rng) -> (n, k) columns of context.candidates`, then
`update(context, columns, clicks)` with what the user did with the slate.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import ClassVar

import numpy as np

from llm4rec.errors import ConfigError


def examination(k: int) -> np.ndarray:
    """Chance that a user looks at each of k slate positions, 1 / log2(position + 2): the
    discount of DCG, and the position-bias curve the bandits and the simulator assume."""
    return (1.0 / np.log2(np.arange(k) + 2.0)).astype(np.float32)


@dataclass
class SlateContext:
    """What a policy sees for a batch of users: each user's candidate items (the base
    model's top items not yet consumed) and the model's scores for them.

    `available` is False where a candidate is no longer offered (consumed since the pool
    was built); such candidates are never selected. `impressions` counts how often each
    candidate was already shown to the user without a click (what the ranking stage
    remembers of its own slates).
    """

    users: np.ndarray  # (n,) user indices
    candidates: np.ndarray  # (n, m) item indices
    scores: np.ndarray  # (n, m) base model scores
    available: np.ndarray  # (n, m) bool
    impressions: np.ndarray  # (n, m) earlier ignored impressions

    def rows(self, index: np.ndarray | slice) -> SlateContext:
        """The contexts of some rows (an index array or a slice)."""
        return SlateContext(*(getattr(self, f.name)[index] for f in fields(self)))

    @classmethod
    def concatenate(cls, parts: list[SlateContext]) -> SlateContext:
        """One context holding the rows of every part, in order."""
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def masked(self, values: np.ndarray) -> np.ndarray:
        return np.where(self.available, values, -np.inf)

    def standardized_scores(self) -> np.ndarray:
        """Scores z-scored per user over the available candidates (0 where unavailable)."""
        count = np.maximum(self.available.sum(axis=1, keepdims=True), 1)
        scores = np.where(self.available, self.scores, 0.0)
        mean = scores.sum(axis=1, keepdims=True) / count
        spread = np.sqrt((np.where(self.available, self.scores - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count)
        return np.where(self.available, (self.scores - mean) / np.maximum(spread, 1e-9), 0.0).astype(np.float32)


def top_columns(values: np.ndarray, k: int) -> np.ndarray:
    """(n, k) columns of each row's k largest values, best first."""
    k = min(k, values.shape[1])
    top = np.argpartition(-values, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(values, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


class Policy(ABC):
    """Chooses a slate of k candidates per user; learning policies override `update`."""

    name: ClassVar[str]
    learns: ClassVar[bool] = False

    @abstractmethod
    def select(self, context: SlateContext, k: int, rng: np.random.Generator) -> np.ndarray:
        """(n, k) candidate columns, first position first."""

    def update(self, context: SlateContext, columns: np.ndarray, clicks: np.ndarray) -> None:
        """Learn from the clicks (n, k) the slates got; stateless policies ignore them."""
        return None

    def forget_users(self, users: np.ndarray) -> None:
        """Erase what was learned about these users alone (nothing here: learning policies
        override this)."""
        return None


class RandomPolicy(Policy):
    """Uniformly random available candidates: the floor every policy must beat."""

    name = "random"

    def select(self, context: SlateContext, k: int, rng: np.random.Generator) -> np.ndarray:
        return top_columns(context.masked(rng.random(context.scores.shape)), k)


class GreedyPolicy(Policy):
    """The base model's top k: what a recommender without online learning shows."""

    name = "greedy"

    def select(self, context: SlateContext, k: int, rng: np.random.Generator) -> np.ndarray:
        return top_columns(context.masked(context.scores), k)


class EpsilonGreedyPolicy(Policy):
    """The greedy slate with each position, with probability epsilon, given instead to a
    uniformly random available candidate from outside the greedy slate."""

    name = "epsilon"

    def __init__(self, epsilon: float = 0.2) -> None:
        if not 0 <= epsilon <= 1:
            raise ConfigError(f"epsilon must be in [0, 1]; got {epsilon}")
        self.epsilon = epsilon

    def select(self, context: SlateContext, k: int, rng: np.random.Generator) -> np.ndarray:
        greedy = top_columns(context.masked(context.scores), k)
        k = greedy.shape[1]
        keys = context.masked(rng.random(context.scores.shape))
        np.put_along_axis(keys, greedy, -np.inf, axis=1)
        outsiders = top_columns(keys, k)  # a random order of the other available candidates
        has_outsider = np.isfinite(np.take_along_axis(keys, outsiders, axis=1))
        explore = rng.random(greedy.shape) < self.epsilon
        nth = np.clip(np.cumsum(explore, axis=1) - 1, 0, k - 1)
        replacement = np.take_along_axis(outsiders, nth, axis=1)
        explore &= np.take_along_axis(has_outsider, nth, axis=1)
        return np.where(explore, replacement, greedy)


class MMRPolicy(Policy):
    """Maximal marginal relevance: each next item maximises lambda * relevance - (1 - lambda)
    * its highest cosine to the items already chosen, over item feature vectors; relevance
    is the model score rescaled to [0, 1] over the user's candidates."""

    name = "mmr"

    def __init__(self, item_vectors: np.ndarray, trade_off: float = 0.5) -> None:
        if not 0 <= trade_off <= 1:
            raise ConfigError(f"the MMR trade-off must be in [0, 1]; got {trade_off}")
        norms = np.linalg.norm(item_vectors, axis=1, keepdims=True)
        self.unit = (item_vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        self.trade_off = trade_off

    def select(self, context: SlateContext, k: int, rng: np.random.Generator) -> np.ndarray:
        scores = context.masked(context.scores)
        low = np.where(context.available, context.scores, np.inf).min(axis=1, keepdims=True)
        relevance = (scores - low) / np.maximum(scores.max(axis=1, keepdims=True) - low, 1e-9)  # in [0, 1]
        vectors = self.unit[context.candidates]  # (n, m, d)
        closest = np.full(relevance.shape, -1.0, np.float32)  # highest cosine to a chosen item
        rows = np.arange(len(relevance))
        chosen = []
        for step in range(min(k, relevance.shape[1])):
            value = self.trade_off * relevance - (1 - self.trade_off) * (closest if step else 0.0)
            pick = np.argmax(value, axis=1)
            chosen.append(pick)
            relevance[rows, pick] = -np.inf
            cosine = np.einsum("nmd,nd->nm", vectors, vectors[rows, pick])
            closest = np.maximum(closest, cosine)
        return np.stack(chosen, axis=1)


class BayesianRidge:
    """Independent Bayesian linear regressions, one per group (a user, or one for all),
    kept as precision matrices and precision-weighted targets: an update is two additions."""

    def __init__(self, groups: int, prior_mean: np.ndarray, prior_precision: float) -> None:
        d = len(prior_mean)
        self.prior_precision = np.eye(d, dtype=np.float32) * prior_precision
        self.prior_target = prior_precision * np.asarray(prior_mean, np.float32)
        self.precision = np.repeat(self.prior_precision[None], groups, axis=0)
        self.target = np.repeat(self.prior_target[None], groups, axis=0)

    def reset(self, groups: np.ndarray) -> None:
        """Back to the prior for these groups."""
        self.precision[groups] = self.prior_precision
        self.target[groups] = self.prior_target

    def posterior(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (n, d) and covariance (n, d, d) of each group's coefficients."""
        covariance = np.linalg.inv(self.precision[groups])
        return np.einsum("nij,nj->ni", covariance, self.target[groups]), covariance

    def update(self, groups: np.ndarray, x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> None:
        """Add observations x (n, k, d) with targets y (n, k) and weights (k,) to each row's group."""
        weighted = x * weight[None, :, None]
        np.add.at(self.precision, groups, np.einsum("nki,nkj->nij", weighted, x))
        np.add.at(self.target, groups, np.einsum("nki,nk->ni", weighted, y))


class LinearBandit(Policy):
    """A click model in two levels, both Bayesian linear regressions:

    - shared by all users, over [1, z(model score), log(1 + ignored impressions)]: how much
      the base model's ranking is worth and how fast an ignored item wears out. Every
      user's clicks teach it, so it is sure of itself after a few rounds; its prior starts
      the policy at the base model's ranking.
    - one per user, over the compact item features (text topics, genres): what this user
      clicks more or less than the shared part predicts, where exploration pays off.

    Each shown position is an observation weighted by how likely the user was to look at it
    (the examination curve). The subclasses differ only in how they turn a user's posterior
    into a ranking: an upper confidence bound (LinUCB) or a posterior sample (Thompson).
    """

    learns = True
    prior_score_weight = 0.05  # prior slope: the click rate gained per standard deviation of model score

    def __init__(self, item_features: np.ndarray, n_users: int, exploration: float = 0.3,
                 prior_precision: float = 100.0) -> None:
        self.item_features = np.asarray(item_features, np.float32)
        self.exploration = exploration
        self.shared = BayesianRidge(1, np.array([0.0, self.prior_score_weight, 0.0]), prior_precision)
        self.personal = BayesianRidge(n_users, np.zeros(self.item_features.shape[1]), prior_precision)

    @staticmethod
    def shared_features(context: SlateContext) -> np.ndarray:
        """(n, m, 3): [1, z(model score), log(1 + ignored impressions)] of every candidate."""
        return np.stack([np.ones(context.scores.shape, np.float32), context.standardized_scores(),
                         np.log1p(context.impressions).astype(np.float32)], axis=2)

    def _shared_prediction(self, context: SlateContext) -> np.ndarray:
        mean, _ = self.shared.posterior(np.zeros(1, np.int64))
        return self.shared_features(context) @ mean[0]

    @abstractmethod
    def _personal_values(self, x: np.ndarray, mean: np.ndarray, covariance: np.ndarray,
                         rng: np.random.Generator) -> np.ndarray:
        """(n, m) ranking values of the personal part for item features x (n, m, d)."""

    def select(self, context: SlateContext, k: int, rng: np.random.Generator) -> np.ndarray:
        mean, covariance = self.personal.posterior(context.users)
        personal = self._personal_values(self.item_features[context.candidates], mean, covariance, rng)
        return top_columns(context.masked(self._shared_prediction(context) + personal), k)

    def update(self, context: SlateContext, columns: np.ndarray, clicks: np.ndarray) -> None:
        weight = examination(columns.shape[1])
        clicks = clicks.astype(np.float32)
        residual = clicks - np.take_along_axis(self._shared_prediction(context), columns, axis=1)
        shared_x = np.take_along_axis(self.shared_features(context), columns[..., None], axis=1)
        self.shared.update(np.zeros(len(columns), np.int64), shared_x, clicks, weight)
        self.personal.update(context.users, self.item_features[np.take_along_axis(context.candidates, columns, axis=1)],
                             residual, weight)

    def forget_users(self, users: np.ndarray) -> None:
        """Reset the users' personal models; the shared one keeps only three coefficients
        pooled over everyone."""
        self.personal.reset(users)


class LinUCBPolicy(LinearBandit):
    """Optimism in the face of uncertainty: mean + exploration * predictive standard deviation."""

    name = "linucb"

    def _personal_values(self, x, mean, covariance, rng):
        spread = np.sqrt(np.maximum(np.einsum("nmi,nij,nmj->nm", x, covariance, x), 0.0))
        return np.einsum("nmd,nd->nm", x, mean) + self.exploration * spread


class ThompsonPolicy(LinearBandit):
    """Thompson sampling: rank by one draw from each user's posterior (covariance scaled by
    exploration squared)."""

    name = "thompson"

    def _personal_values(self, x, mean, covariance, rng):
        factor = np.linalg.cholesky(covariance + 1e-6 * np.eye(covariance.shape[1], dtype=covariance.dtype))
        draw = mean + self.exploration * np.einsum("nij,nj->ni", factor, rng.standard_normal(mean.shape))
        return np.einsum("nmd,nd->nm", x, draw.astype(np.float32))


# Defaults of epsilon, trade_off, exploration and prior_precision were chosen on a simulation
# of ml-latest-small (benchmarks/tune_policies.py), not on the ml-100k one that reports them.
POLICIES = ("random", "greedy", "epsilon", "linucb", "thompson", "mmr")


def make_policy(name: str, item_features: np.ndarray, n_users: int, **settings: float) -> Policy:
    """A policy by name; the bandits and MMR use `item_features`; `settings` override the
    defaults (epsilon, trade_off, exploration, prior_precision)."""
    try:
        if name == "random":
            return RandomPolicy(**settings)
        if name == "greedy":
            return GreedyPolicy(**settings)
        if name == "epsilon":
            return EpsilonGreedyPolicy(**settings)
        if name == "mmr":
            return MMRPolicy(item_features, **settings)
        if name == "linucb":
            return LinUCBPolicy(item_features, n_users, **settings)
        if name == "thompson":
            return ThompsonPolicy(item_features, n_users, **settings)
    except TypeError as error:
        raise ConfigError(f"Bad settings for policy {name!r}: {error}") from None
    raise ConfigError(f"Unknown policy {name!r}; choose from {', '.join(POLICIES)}")
