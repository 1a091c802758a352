"""ALS and BPR matrix factorisation from the `implicit` library, and BPR trained with
llm4rec's negative samplers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from pydantic import Field
from threadpoolctl import threadpool_limits

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import FitCache, ModelConfig, Recommender
from llm4rec.models.negatives import NegativeSampler, Strategy
from llm4rec.progress import track


class ALSConfig(ModelConfig):
    factors: int = Field(64, ge=1)
    regularization: float = Field(0.05, ge=0)
    alpha: float = Field(2.0, gt=0, description="confidence given to an observed interaction")
    iterations: int = Field(15, ge=1)
    seed: int = 0
    weighted: bool = Field(False, description="learn from the interactions' confidence weights (see "
                           "llm4rec.feedback) instead of 0/1")


class BPRConfig(ModelConfig):
    factors: int = Field(64, ge=1)
    learning_rate: float = Field(0.01, gt=0)
    regularization: float = Field(0.01, ge=0)
    iterations: int = Field(100, ge=1)
    seed: int = 0


class _ImplicitMF(Recommender):
    """Shared fit/score for implicit's factorisation models.

    Known users (passed as `users`) use their learned factors; any other history is folded
    in by one least-squares step against the item factors, so new users get scores too.
    """

    seeded = True

    def _make(self) -> AlternatingLeastSquares | BayesianPersonalizedRanking:
        raise NotImplementedError

    def _fold_in_weight(self) -> float:
        return 1.0

    def _training_matrix(self, interactions: Interactions) -> sp.csr_matrix:
        return interactions.matrix()

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        # implicit runs its own threads; a second BLAS thread pool underneath only slows it.
        with threadpool_limits(1, "blas"):
            model = self._make()
            model.fit(self._training_matrix(interactions), show_progress=False)
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        self.n_items_ = interactions.n_items
        return self

    def _fold_in(self, history: np.ndarray) -> np.ndarray:
        """One implicit-ALS user step: (V'V + (c-1) Vh'Vh + r I)^-1 c Vh'1."""
        factors = self.item_factors_.astype(np.float64)
        confidence = self._fold_in_weight()
        seen = factors[np.unique(history)]
        system = factors.T @ factors + (confidence - 1) * seen.T @ seen
        system += max(self.config.regularization, 1e-3) * np.eye(len(system))  # every factor model has one
        return np.linalg.solve(system, confidence * seen.sum(axis=0))

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        return self._user_vectors(histories, users) @ self.item_factors_.T

    def _user_vectors(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        """A known user's factors, else the factors folded in from the history."""
        vectors = np.zeros((len(histories), self.item_factors_.shape[1]), dtype=np.float32)
        known = np.zeros(len(histories), dtype=bool)
        if users is not None:
            users = np.asarray(users)
            known = (users >= 0) & (users < len(self.user_factors_))
            vectors[known] = self.user_factors_[users[known]]
        for row in np.flatnonzero(~known):
            if len(histories[row]):
                vectors[row] = self._fold_in(histories[row])
        return vectors

    def item_embeddings(self) -> np.ndarray:
        return self.item_factors_

    def forget_users(self, users: np.ndarray) -> None:
        """Zero their factors: such a user is then scored by fold-in from a given history only."""
        self.user_factors_[np.asarray(users)] = 0.0

    def _state(self) -> dict[str, np.ndarray]:
        return {"user_factors_": self.user_factors_, "item_factors_": self.item_factors_}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.user_factors_, self.item_factors_ = state["user_factors_"], state["item_factors_"]


class ALS(_ImplicitMF):
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008) via implicit's CPU kernel."""

    name = "als"
    reads_weights = True
    Config = ALSConfig

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [
            {"factors": f, "regularization": r, "alpha": a}
            for f in (64, 128) for r in (0.05, 1.0) for a in (1.0, 5.0, 20.0)
        ]

    def _make(self) -> AlternatingLeastSquares:
        c = self.config
        return AlternatingLeastSquares(
            factors=c.factors, regularization=c.regularization, alpha=c.alpha,
            iterations=c.iterations, random_state=c.seed,
        )

    def _fold_in_weight(self) -> float:
        return self.config.alpha

    def _training_matrix(self, interactions: Interactions) -> sp.csr_matrix:
        """Confidence 1 + alpha * weight: the mined weights when `weighted`, else 0/1."""
        return interactions.matrix(binary=not self.config.weighted)


class BPR(_ImplicitMF):
    """Bayesian personalised ranking (Rendle et al. 2009) via implicit's CPU kernel."""

    name = "bpr"
    Config = BPRConfig

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        # Stronger regularisation (0.03) and 150 iterations won on ml-100k-loo valid; larger
        # rates and 128 factors on the sparser amazon-office: the grid keeps both regions.
        return [
            {"factors": f, "learning_rate": lr, "regularization": r, "iterations": i}
            for f in (64, 128) for lr in (0.01, 0.05) for r in (0.01, 0.03) for i in (100, 150)
        ]

    def _make(self) -> BayesianPersonalizedRanking:
        c = self.config
        return BayesianPersonalizedRanking(
            factors=c.factors, learning_rate=c.learning_rate, regularization=c.regularization,
            iterations=c.iterations, random_state=c.seed,
            num_threads=1,  # implicit's parallel SGD is racy (Hogwild): one thread keeps fits reproducible
        )


class SampledBPRConfig(ModelConfig):
    factors: int = Field(64, ge=1)
    learning_rate: float = Field(0.01, gt=0, description="Adam step size")
    regularization: float = Field(1e-3, ge=0, description="L2 on the factors of each batch")
    epochs: int = Field(40, ge=1)
    batch_size: int = Field(4096, ge=1)
    negative_sampling: Strategy = Field("uniform", description="uniform, popularity (count ** exponent) or hard "
                                        "(text neighbours of the positive item, plus one sampled negative)")
    popularity_exponent: float = Field(0.75, ge=0)
    weighted: bool = Field(False, description="draw positives in proportion to their confidence weights "
                           "(see llm4rec.feedback) instead of each once per epoch")
    text_model: str | None = Field(None, description="encoder for hard negatives; None: all-MiniLM-L6-v2")
    seed: int = 0


class SampledBPR(_ImplicitMF):
    """BPR matrix factorisation trained with llm4rec's negative samplers (torch, Adam).

    Hand-written because implicit's BPR draws its negatives uniformly inside its C++ loop and
    offers no hook for another sampler; scoring and fold-in are the implicit models' own.
    Popularity negatives are not log-Q corrected here: in a pairwise loss, drawing popular
    items as negatives more often is the point (it counters popularity bias).
    """

    name = "bpr-sampled"
    reads_weights = encodes_text = True  # the encoder draws hard negatives
    seeded = True
    Config = SampledBPRConfig

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [{"regularization": r} for r in (1e-3, 1e-2)]

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        import torch

        c = self.config
        torch.manual_seed(c.seed)
        rng = np.random.default_rng(c.seed)
        matrix = interactions.matrix(binary=not c.weighted).tocoo()
        users, items, weights = matrix.row.astype(np.int64), matrix.col.astype(np.int64), matrix.data
        known = np.sort(np.unique(items)) + 1  # the sampler works on shifted indices
        text = None
        if c.negative_sampling == "hard":
            from llm4rec.models.item_features import text_vectors

            text = text_vectors(catalog, interactions.items, c.text_model, None, self.name)
        sampler = NegativeSampler(c.negative_sampling, known, interactions.item_counts(), c.popularity_exponent, text)
        seen = np.sort(users * interactions.n_items + items)
        user_table = torch.nn.Embedding(interactions.n_users, c.factors)
        item_table = torch.nn.Embedding(interactions.n_items, c.factors)
        for table in (user_table, item_table):
            torch.nn.init.normal_(table.weight, std=0.1)
        optimizer = torch.optim.Adam([*user_table.parameters(), *item_table.parameters()], lr=c.learning_rate)
        probability = weights / weights.sum() if c.weighted else None
        for _ in track(range(c.epochs), f"training {self.name} ({c.epochs} epochs)"):
            order = (rng.choice(len(users), size=len(users), p=probability) if c.weighted
                     else rng.permutation(len(users)))
            for start in range(0, len(order), c.batch_size):
                rows = order[start : start + c.batch_size]
                u, i = users[rows], items[rows]
                negatives = self._negatives(sampler, i, rng)  # (rows, m) item indices, -1: skip
                keys = u[:, None] * interactions.n_items + negatives
                hit = np.searchsorted(seen, keys).clip(max=len(seen) - 1)
                valid = torch.from_numpy((negatives >= 0) & (seen[hit] != keys))
                user_vectors = user_table(torch.from_numpy(u))
                positive = (user_vectors * item_table(torch.from_numpy(i))).sum(-1, keepdim=True)
                negative_vectors = item_table(torch.from_numpy(negatives.clip(min=0)))
                negative = torch.einsum("bd,bmd->bm", user_vectors, negative_vectors)
                pairwise = -torch.nn.functional.logsigmoid(positive - negative)
                loss = (pairwise * valid).sum() / valid.sum().clamp_min(1)
                penalty = user_vectors.pow(2).sum() + negative_vectors.pow(2).sum() / negatives.shape[1]
                loss = loss + c.regularization * penalty / len(rows)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        self.user_factors_ = user_table.weight.detach().numpy().astype(np.float32)
        self.item_factors_ = item_table.weight.detach().numpy().astype(np.float32)
        self.n_items_ = interactions.n_items
        return self

    @staticmethod
    def _negatives(sampler: NegativeSampler, positives: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(rows, m) negative item indices per row: one drawn by the sampler's distribution,
        plus the text neighbours of the positive for hard sampling."""
        drawn = sampler.shared(len(positives), rng)[:, None]
        hard = sampler.hard(positives + 1, rng)
        shifted = drawn if hard is None else np.concatenate([drawn, hard], axis=1)
        return shifted - 1
