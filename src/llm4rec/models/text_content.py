"""Text content model: items ranked by similarity of their text to the user's profile."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from pydantic import Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import FitCache, ModelConfig, Recommender
from llm4rec.models.item_features import Finetune, finetune_refit, fitted_text_vectors
from llm4rec.profiles.vectors import profile_vectors


class TextConfig(ModelConfig):
    half_life: float = Field(1.0, ge=0, description="recency half-life in items; 0: all equal")
    text_model: str | None = None
    template: str | None = None
    finetune: Finetune = Field("none", description="fine-tune the encoder inside fit on the fit data alone: "
                               "none, or head (a small MLP over the frozen vectors; see llm4rec.finetuning)")
    finetune_epochs: int | None = Field(None, ge=1, description="with finetune: None early-stops on each "
                                        "history's last item; N trains on every item for exactly N epochs (the "
                                        "refit on train+valid, with the epochs early stopping chose on train)")


class TextContent(Recommender):
    """Cosine of item text embeddings with a recency-weighted profile of the history.

    Needs no interactions for an item, so it reaches items nobody has met (cold start) and
    users with one or two events.
    """

    name = "text"
    reads_text = encodes_text = True
    learns_from_users = False  # item vectors come from item text alone (a fine-tuned encoder is its own folder)
    Config = TextConfig
    finetune_epochs_: int | None = None  # the epochs a fine-tune inside fit kept (set by fit)

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [{"half_life": h, "finetune": f} for f in ("none", "head") for h in (1.0, 3.0, 10.0, 0.0)]

    @classmethod
    def from_vectors(cls, item_vectors: np.ndarray, half_life: float = 1.0) -> TextContent:
        """The model over given item vectors (as when fine-tuning the encoder), without a fit."""
        model = cls(half_life=half_life)
        model.item_vectors_, model.n_items_ = item_vectors, len(item_vectors)
        return model

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        c = self.config
        self.item_vectors_, self.finetune_epochs_ = fitted_text_vectors(
            catalog, interactions, c.text_model, c.template, self.name, c.finetune, c.finetune_epochs)
        self.n_items_ = interactions.n_items
        return self

    def refit_settings(self) -> dict[str, Any]:
        """An early-stopped fine-tune is refitted for the epochs it kept, on every item (as the
        sequential models are); when the frozen encoder stayed best, the refit does not fine-tune."""
        return finetune_refit(self.config.finetune_epochs, self.finetune_epochs_)

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        return self._user_vectors(histories, users) @ self.item_vectors_.T

    def _user_vectors(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        return profile_vectors(histories, self.item_vectors_, self.config.half_life)

    def item_embeddings(self) -> np.ndarray:
        return self.item_vectors_

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_vectors_": self.item_vectors_}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        self.item_vectors_ = state["item_vectors_"]
