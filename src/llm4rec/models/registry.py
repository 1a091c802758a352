"""Names of the registered models, and construction / loading by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llm4rec.errors import ConfigError
from llm4rec.models.base import MANIFEST, Recommender
from llm4rec.models.ease import EASE
from llm4rec.models.ensemble import Ensemble
from llm4rec.models.generative import GenerativeRecommender
from llm4rec.models.hybrid import HybridBlend
from llm4rec.models.itemknn import ItemKNN
from llm4rec.models.matrix_factorization import ALS, BPR, SampledBPR
from llm4rec.models.popularity import Popularity, RecentPopularity
from llm4rec.models.sequential import SequentialHybrid, SequentialRecommender
from llm4rec.models.text_content import TextContent

MODELS: dict[str, type[Recommender]] = {
    m.name: m
    for m in (Popularity, RecentPopularity, ItemKNN, EASE, ALS, BPR, SampledBPR, TextContent, HybridBlend,
              SequentialRecommender, SequentialHybrid, GenerativeRecommender, Ensemble)
}


def model_class(name: str) -> type[Recommender]:
    """The class registered under `name`; the error lists the valid names."""
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"Unknown model {name!r}; choose from {', '.join(MODELS)}") from None


def create_model(name: str, **params: Any) -> Recommender:
    return model_class(name)(**params)


def load_model(path: str | Path) -> Recommender:
    """Load any saved model, its class read from the folder's manifest."""
    manifest = json.loads((Path(path) / MANIFEST).read_text())
    return model_class(manifest["model"]).load(path)
