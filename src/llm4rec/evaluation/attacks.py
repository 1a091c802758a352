"""Shilling attacks against a model: inject, detect, filter, and how far the target rose."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.feedback.attacks import Attack, inject
from llm4rec.feedback.shilling import detect_fakes
from llm4rec.models.registry import create_model


def target_hit_rate(interactions: Interactions, catalog: ItemCatalog | None, target: int, users: np.ndarray,
                    model: str, k: int = 10) -> float:
    """Share of `users` (indices) with `target` in their top-k from `model` fitted here."""
    fitted = create_model(model).fit(interactions, catalog)
    histories = interactions.histories()
    top = fitted.recommend([histories[u] for u in users], k)[0]
    return float((top == target).any(axis=1).mean())


@dataclass(frozen=True)
class AttackResult:
    attack: str
    size: float
    filler: float
    precision: float
    recall: float
    target_hr10_before: float
    target_hr10_attacked: float
    target_hr10_filtered: float


def evaluate_attack(interactions: Interactions, catalog: ItemCatalog | None, attack: Attack,
                    model: str = "ease") -> AttackResult:
    """Inject, detect, filter; the target's HR@10 over real users who never met it, each time."""
    attacked, fake = inject(interactions, catalog, attack)
    flagged = detect_fakes(attacked)
    true_positives = int((flagged & fake).sum())
    real = np.flatnonzero(~fake)
    met_target = np.zeros(attacked.n_users, dtype=bool)
    met_target[attacked.user_index[attacked.item_index == attack.target]] = True
    audience = real[~met_target[real]]
    filtered = attacked.select(~flagged[attacked.user_index])
    # the clean data has its own user map: audience users by id
    clean_users = interactions.users.indices(attacked.users.ids[audience])
    return AttackResult(
        attack.kind, attack.size, attack.filler,
        precision=true_positives / max(int(flagged.sum()), 1), recall=true_positives / max(int(fake.sum()), 1),
        target_hr10_before=target_hit_rate(interactions, catalog, attack.target, clean_users, model),
        target_hr10_attacked=target_hit_rate(attacked, catalog, attack.target, audience, model),
        target_hr10_filtered=target_hit_rate(filtered, catalog, attack.target, audience, model),
    )
