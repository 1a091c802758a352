"""The fixed part of a simulation, built once from real data and shared by every policy and
seed: the users' latent tastes, item topics and features, and the candidates the base
model offers."""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.errors import ConfigError
from llm4rec.models.item_features import side_features
from llm4rec.models.registry import create_model
from llm4rec.ranking.features import compact_item_features
from llm4rec.simulation.users import gaussianised_ranks


@dataclass(frozen=True)
class WorldConfig:
    model: str = "ease"  # the base model whose candidates the policies rerank
    pool: int = 500  # candidates per user
    start_share: float = 0.8  # share of each user's history (oldest first) the base model sees
    text_weight: float = 0.5  # weight of text-profile similarity in the users' latent taste
    n_topics: int = 20  # item topics (k-means of text embeddings) for satiation and interests
    max_users: int | None = None  # simulate only the first users (small runs)
    seed: int = 0


@dataclass
class World:
    preference: np.ndarray  # (n_users, n_items) Gaussianised taste, the simulator's truth
    topics: np.ndarray  # (n_items,)
    candidates: np.ndarray  # (n_users, pool) item indices, best base-model score first
    scores: np.ndarray  # (n_users, pool)
    item_features: np.ndarray  # (n_items, d) compact features for bandits and MMR
    text_vectors: np.ndarray  # (n_items, 384) unit text embeddings, for diversity
    config: WorldConfig

    @property
    def n_users(self) -> int:
        return len(self.candidates)


def _zscore(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean(axis=1, keepdims=True)) / np.maximum(scores.std(axis=1, keepdims=True), 1e-9)


def latent_taste(interactions: Interactions, catalog: ItemCatalog, text_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Each user's taste from models fitted on all of their data: EASE's co-consumption
    scores blended with the text similarity to everything they consumed; Gaussianised
    ranks. Also returns the unit text vectors of the items."""
    histories = interactions.histories()
    behaviour = create_model("ease").fit(interactions).score(histories)
    text = create_model("text", half_life=0.0).fit(interactions, catalog)
    blended = _zscore(behaviour) + text_weight * _zscore(text.score(histories))
    return gaussianised_ranks(blended), text.item_embeddings()


def starting_part(interactions: Interactions, share: float) -> Interactions:
    """The oldest `share` of each user's events (at least one)."""
    order = interactions.time_order()
    users = interactions.user_index[order]
    starts = np.searchsorted(users, np.arange(interactions.n_users))
    position = np.arange(len(order)) - starts[users]
    keep = position < np.maximum(np.ceil(share * interactions.user_counts()[users]), 1)
    return interactions.select(order[keep])


def item_topics(text_vectors: np.ndarray, n_topics: int, seed: int) -> np.ndarray:
    """Topic of each item: its k-means cluster of text embeddings (faiss)."""
    kmeans = faiss.Kmeans(text_vectors.shape[1], n_topics, niter=25, seed=seed, verbose=False)
    kmeans.train(np.ascontiguousarray(text_vectors, np.float32))
    return kmeans.index.search(np.ascontiguousarray(text_vectors, np.float32), 1)[1].ravel()


def build_world(interactions: Interactions, catalog: ItemCatalog | None, config: WorldConfig | None = None) -> World:
    """Latent tastes from all the data; the base model fitted on each user's starting part
    only, so the taste it must discover is partly unknown to it (the newest events, and the
    text side of taste)."""
    config = config or WorldConfig()
    if catalog is None:
        raise ConfigError("The simulator needs an item catalogue: item topics and the users' text-side taste "
                          "come from item text. Use --data ml-100k or a split directory with an items.tsv.")
    if not 0 < config.start_share <= 1:
        raise ConfigError(f"start_share must be in (0, 1]; got {config.start_share}")
    preference, text_vectors = latent_taste(interactions, catalog, config.text_weight)
    start = starting_part(interactions, config.start_share)
    base = create_model(config.model).fit(start, catalog)
    users = np.arange(interactions.n_users if config.max_users is None else min(config.max_users,
                                                                                 interactions.n_users))
    histories = start.histories()
    candidates, scores = base.recommend([histories[u] for u in users], min(config.pool, interactions.n_items - 1))
    return World(
        preference=preference[users],
        topics=item_topics(text_vectors, config.n_topics, config.seed),
        candidates=candidates,
        scores=scores,
        item_features=compact_item_features(text_vectors, side_features(catalog, interactions.items),
                                            seed=config.seed),
        text_vectors=text_vectors,
        config=config,
    )
