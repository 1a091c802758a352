"""Hybrid blend: EASE's scores fused with text similarity, the weight tuned on valid."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
from pydantic import Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import FitCache, ModelConfig, Recommender
from llm4rec.models.ease import EASE
from llm4rec.models.item_features import Finetune
from llm4rec.models.text_content import TextContent


def row_zscore(scores: np.ndarray) -> np.ndarray:
    """Standardise each row so two models' scores are on one scale before blending."""
    return (scores - scores.mean(axis=1, keepdims=True)) / (scores.std(axis=1, keepdims=True) + 1e-9)


class HybridConfig(ModelConfig):
    l2: float = Field(150.0, gt=0, description="EASE's L2 penalty")
    text_weight: float = Field(0.5, ge=0, description="weight of the z-scored text similarity")
    half_life: float = Field(1.0, ge=0, description="recency half-life of the text profile")
    text_model: str | None = None
    template: str | None = None
    finetune: Finetune = Field("none", description="fine-tune the encoder inside fit (see the text model)")
    finetune_epochs: int | None = Field(None, ge=1, description="see the text model")
    cold_gate: bool = Field(True, description="score items without training interactions by their text alone "
                            "(at the blend's scale), so new items can be recommended")


class HybridBlend(Recommender):
    """z(EASE) + text_weight * z(text profile similarity). Without a catalogue it warns and
    runs as EASE alone. An item nobody interacted with in training has no EASE score worth the
    name (its column is zero); with `cold_gate` it gets (1 + text_weight) * z(text) instead, the
    blend it would have if its EASE score matched its text, so new items are reachable while
    every other item's score is unchanged."""

    name = "hybrid"
    reads_text = encodes_text = True
    Config = HybridConfig

    open_ended = ("l2", "text_weight", "half_life")

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        # l2 outermost: consecutive settings share one EASE fit through the tuning run's FitCache.
        return [{"l2": l2, "text_weight": w, "half_life": h, "finetune": f}
                for l2 in (20.0, 150.0, 1000.0) for w in (0.1, 0.3, 1.0, 3.0, 10.0) for h in (0.25, 2.0)
                for f in ("none", "head")]

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        """`cache` (a tuning run's) shares the cubic-cost EASE solve between text weights."""
        c = self.config
        fit_ease = lambda: EASE(l2=c.l2).fit(interactions)  # noqa: E731
        self.ease_ = fit_ease() if cache is None else cache.get_or_fit(("ease", id(interactions), c.l2), fit_ease)
        self.text_ = None
        if catalog is None:
            warnings.warn("hybrid: no item catalogue (items.tsv), so it runs as EASE alone", stacklevel=2)
        else:
            self.text_ = TextContent(half_life=c.half_life, text_model=c.text_model, template=c.template,
                                     finetune=c.finetune, finetune_epochs=c.finetune_epochs)
            self.text_.fit(interactions, catalog)
        self.cold_ = interactions.item_counts() == 0
        self.n_items_ = interactions.n_items
        return self

    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        scores = row_zscore(self.ease_.score(histories))
        if self.text_ is not None:
            text = row_zscore(self.text_.score(histories))
            scores += self.config.text_weight * text
            if self.config.cold_gate and self.cold_.any():
                scores[:, self.cold_] = (1 + self.config.text_weight) * text[:, self.cold_]
        return scores

    def refit_settings(self) -> dict[str, Any]:
        return {} if self.text_ is None else self.text_.refit_settings()

    def _similarities(self, items: np.ndarray) -> np.ndarray:
        return self.ease_._similarities(items)

    def _state(self) -> dict[str, np.ndarray]:
        text = {} if self.text_ is None else {"item_vectors_": self.text_.item_vectors_}
        return {"weights_": self.ease_.weights_, "cold_": self.cold_} | text

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        c = self.config
        self.ease_ = EASE(l2=c.l2)
        self.ease_.n_items_ = self.n_items_
        self.ease_._restore(state)
        self.cold_ = state["cold_"] if "cold_" in state else np.zeros(self.n_items_, dtype=bool)
        self.text_ = None
        if "item_vectors_" in state:
            self.text_ = TextContent(half_life=c.half_life, text_model=c.text_model, template=c.template,
                                     finetune=c.finetune, finetune_epochs=c.finetune_epochs)
            self.text_.item_vectors_, self.text_.n_items_ = state["item_vectors_"], self.n_items_
