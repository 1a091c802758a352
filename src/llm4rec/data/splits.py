"""Train / valid / test splits, with the protocol that made them recorded."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions, tie_keys
from llm4rec.errors import ConfigError


@dataclass
class Split:
    """Three parts over the same id maps; `protocol` says how they were made."""

    train: Interactions
    valid: Interactions
    test: Interactions
    catalog: ItemCatalog | None = None
    protocol: str = ""
    name: str = ""

    def train_valid(self) -> Interactions:
        """Train and valid together: what a model is refitted on before test."""
        return self.train.concat(self.valid)

    def without_users(self, users: np.ndarray) -> Split:
        """The split without the given user indices' rows in any part (id maps unchanged)."""
        def kept(part: Interactions) -> Interactions:
            return part.select(~np.isin(part.user_index, users))

        return Split(kept(self.train), kept(self.valid), kept(self.test), self.catalog,
                     self.protocol + f", {len(users)} suspicious users dropped", self.name)

    def sample_users(self, n_users: int, seed: int = 0) -> Split:
        """The split with valid and test rows kept for a seeded sample of `n_users` of the users
        who have any (train stays whole: models learn from every event, only evaluation gets
        cheaper; the mean metric stays unbiased, its interval wider). Unchanged if fewer."""
        if n_users < 1:
            raise ConfigError(f"Cannot evaluate on {n_users} sampled users", hint="Sample at least one user.")
        evaluated = np.union1d(self.valid.user_index, self.test.user_index)
        if n_users >= len(evaluated):
            return self
        chosen = np.random.default_rng(seed).choice(evaluated, n_users, replace=False)
        valid, test = (part.select(np.flatnonzero(np.isin(part.user_index, chosen)))
                       for part in (self.valid, self.test))
        return replace(self, valid=valid, test=test,
                       protocol=f"{self.protocol}; valid and test of {n_users:,} sampled users (seed {seed})")


def _parts(interactions: Interactions, part: np.ndarray, protocol: str, name: str,
           catalog: ItemCatalog | None) -> Split:
    """Split rows by a part code per row (0 train, 1 valid, 2 test)."""
    train, valid, test = (interactions.select(np.flatnonzero(part == code)) for code in range(3))
    return Split(train, valid, test, catalog, protocol, name)


def leave_one_out(
    interactions: Interactions, catalog: ItemCatalog | None = None, name: str = "",
    min_events: int = 3,
) -> Split:
    """Each user's last event is test and the one before valid (time order with the sha1
    tie key of PROTOCOL.md); users with fewer than `min_events` events stay in train."""
    order = interactions.time_order()
    users = interactions.user_index[order]
    counts = np.bincount(users, minlength=interactions.n_users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    from_end = counts[users] - 1 - (np.arange(len(order)) - starts[users])
    part_sorted = np.where(counts[users] < min_events, 0, np.select([from_end == 0, from_end == 1], [2, 1], 0))
    part = np.empty(len(order), dtype=np.int64)
    part[order] = part_sorted
    protocol = f"leave-one-out by time (ties by sha1 key), users with < {min_events} events in train"
    return _parts(interactions, part, protocol, name, catalog)


def temporal_cut(
    interactions: Interactions, catalog: ItemCatalog | None = None, name: str = "",
    valid_fraction: float = 0.1, test_fraction: float = 0.1,
) -> Split:
    """A global cut in time: the last `test_fraction` of all events is test, the slice before
    it valid. Nothing in train is later than anything in valid or test."""
    if not (0 < valid_fraction < 1 and 0 < test_fraction < 1 and valid_fraction + test_fraction < 1):
        raise ConfigError("valid_fraction and test_fraction must be in (0, 1) and sum below 1")
    keys = tie_keys(interactions.users.ids[interactions.user_index],
                    interactions.items.ids[interactions.item_index])
    order = np.lexsort((keys, interactions.timestamps))
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    n = len(order)
    test_start, valid_start = n - round(n * test_fraction), n - round(n * (test_fraction + valid_fraction))
    part = np.select([position >= test_start, position >= valid_start], [2, 1], 0)
    protocol = f"global temporal cut: last {test_fraction:.0%} of events test, {valid_fraction:.0%} valid"
    return _parts(interactions, part, protocol, name, catalog)


def user_holdout(
    interactions: Interactions, catalog: ItemCatalog | None = None, name: str = "",
    fraction: float = 0.1, target_fraction: float = 0.2, seed: int = 0,
) -> Split:
    """Random users held out (`fraction` for valid, as many for test); the last
    `target_fraction` of each held-out user's events are targets, the rest stay in train as
    the history the model folds in."""
    if not 0 < fraction < 0.5 or not 0 < target_fraction < 1:
        raise ConfigError("fraction must be in (0, 0.5) and target_fraction in (0, 1)")
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(interactions.n_users)
    n_held = round(interactions.n_users * fraction)
    user_part = np.zeros(interactions.n_users, dtype=np.int64)
    user_part[shuffled[:n_held]], user_part[shuffled[n_held: 2 * n_held]] = 1, 2
    order = interactions.time_order()
    users = interactions.user_index[order]
    counts = np.bincount(users, minlength=interactions.n_users)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(len(order)) - starts[users]
    n_targets = np.maximum(1, np.round(counts * target_fraction)).astype(np.int64)
    is_target = (position >= counts[users] - n_targets[users]) & (counts[users] >= 2)
    part = np.empty(len(order), dtype=np.int64)
    part[order] = np.where(is_target, user_part[users], 0)
    protocol = (f"random user holdout: {fraction:.0%} of users valid, {fraction:.0%} test, "
                f"last {target_fraction:.0%} of their events are targets (seed {seed})")
    return _parts(interactions, part, protocol, name, catalog)


SPLITTERS = {"loo": leave_one_out, "temporal": temporal_cut, "user": user_holdout}
