"""A small synthetic world (no text encoder needed) for simulator tests."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.simulation.users import gaussianised_ranks
from llm4rec.simulation.world import World, WorldConfig


def synthetic_world(n_users: int = 60, n_items: int = 300, pool: int = 80, seed: int = 0) -> World:
    """Low-rank tastes; the base model sees them through noise, as a real model would."""
    rng = np.random.default_rng(seed)
    user_factors, item_factors = rng.normal(size=(n_users, 4)), rng.normal(size=(n_items, 4))
    taste = user_factors @ item_factors.T
    noisy = taste + rng.normal(scale=1.0, size=taste.shape)
    candidates = np.argsort(-noisy, axis=1)[:, :pool]
    text = item_factors + rng.normal(scale=0.3, size=item_factors.shape)
    return World(
        preference=gaussianised_ranks(taste),
        topics=np.argmax(item_factors, axis=1),
        candidates=candidates,
        scores=np.take_along_axis(noisy, candidates, axis=1).astype(np.float32),
        item_features=(text / text.std(axis=0)).astype(np.float32),
        text_vectors=(text / np.linalg.norm(text, axis=1, keepdims=True)).astype(np.float32),
        config=WorldConfig(pool=pool),
    )


@pytest.fixture(scope="module")
def world() -> World:
    return synthetic_world()
