"""EASE (Steck 2019): a closed-form item-item linear model with an L2 penalty."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import scipy.linalg
from pydantic import Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.errors import ConfigError
from llm4rec.models.base import FitCache, Recommender, history_matrix
from llm4rec.models.differential_privacy import PrivacyConfig

MAX_ITEMS = 25_000  # ~12.5 GB while fitting: the most a 24 GB machine can hold safely


class EASEConfig(PrivacyConfig):
    l2: float = Field(500.0, gt=0, description="L2 penalty on the item-item weights")
    weighted: bool = Field(False, description="learn from the interactions' confidence weights (see "
                           "llm4rec.feedback) instead of 0/1")


class EASE(Recommender):
    """B = I - P / diag(P) with P = (X'X + l2 I)^-1; score = history @ B.

    Memory and time grow with the square and cube of the catalogue size (9,724 items:
    ~0.8 GB in float64 while fitting, seconds on two cores).
    """

    name = "ease"
    reads_weights = True
    Config = EASEConfig

    open_ended = ("l2",)

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [{"l2": l2} for l2 in (20.0, 50.0, 150.0, 400.0, 1000.0, 3000.0)]

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        if interactions.n_items > MAX_ITEMS:
            raise ConfigError(
                f"EASE needs ~{20 * interactions.n_items**2 / 1e9:.0f} GB for {interactions.n_items:,} items "
                f"(dense item x item matrices); this build allows up to {MAX_ITEMS:,}. "
                "Use itemknn or als for catalogues this large."
            )
        matrix = interactions.matrix(binary=not self.config.weighted)
        gram = self.config.gram(matrix)
        gram[np.diag_indices_from(gram)] += self.config.l2
        # Cholesky solve of a symmetric positive-definite system: about twice as fast as inv.
        precision = scipy.linalg.cho_solve(
            scipy.linalg.cho_factor(gram, overwrite_a=True, check_finite=False),
            np.eye(len(gram)),
            overwrite_b=True,
            check_finite=False,
        )
        weights = precision / -np.diag(precision)
        np.fill_diagonal(weights, 0.0)
        # C order: scipy's sparse @ dense copies (ravels) a Fortran-ordered operand on every call
        self.weights_ = np.ascontiguousarray(weights, dtype=np.float32)
        self.n_items_ = interactions.n_items
        return self

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        return history_matrix(histories, self.n_items_) @ self.weights_

    def _similarities(self, items: np.ndarray) -> np.ndarray:
        return self.weights_[items]

    def _state(self) -> dict[str, np.ndarray]:
        return {"weights_": self.weights_}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.weights_ = np.ascontiguousarray(state["weights_"])
