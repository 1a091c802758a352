"""The shared interaction table: (user, item, timestamp, rating, weight) over dense indices."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from llm4rec.data.ids import IdMap


def tie_keys(user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
    """Stable pseudo-random tie-break key per row: sha1("user_id:item_id")[:8], big-endian.

    PROTOCOL.md: ordering same-timestamp events by item id would leak the id order to
    sequential models, so ties are broken by this hash instead.
    """
    return np.fromiter(
        (
            int.from_bytes(hashlib.sha1(f"{u}:{i}".encode()).digest()[:8], "big")
            for u, i in zip(user_ids, item_ids, strict=True)
        ),
        dtype=np.uint64,
        count=len(user_ids),
    )


@dataclass(frozen=True, eq=False)
class Interactions:
    """Interactions as parallel arrays over dense user/item indices, shared read-only.

    `ratings` holds the explicit value when the source has one (NaN otherwise); `weights`
    is the confidence a model gives each event (1.0 unless a feedback stage sets it).
    """

    users: IdMap
    items: IdMap
    user_index: np.ndarray
    item_index: np.ndarray
    timestamps: np.ndarray
    ratings: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, users: IdMap | None = None, items: IdMap | None = None
    ) -> Interactions:
        """Build from columns user_id, item_id, timestamp and optional rating, weight."""
        user_ids, item_ids = frame["user_id"].astype(str), frame["item_id"].astype(str)
        users = users or IdMap.from_values(user_ids)
        items = items or IdMap.from_values(item_ids)
        n = len(frame)
        ratings = frame["rating"] if "rating" in frame else np.full(n, np.nan)
        weights = frame["weight"] if "weight" in frame else np.ones(n)
        return cls(
            users=users,
            items=items,
            user_index=users.indices(user_ids).astype(np.int32),
            item_index=items.indices(item_ids).astype(np.int32),
            timestamps=np.asarray(frame["timestamp"], dtype=np.int64),
            ratings=np.asarray(ratings, dtype=np.float32),
            weights=np.asarray(weights, dtype=np.float32),
        )

    def __len__(self) -> int:
        return len(self.user_index)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def fingerprint(self) -> str:
        """sha256 of the ids and timestamps: which data a model learned from."""
        digest = hashlib.sha256()
        for ids in (self.users.ids[self.user_index], self.items.ids[self.item_index]):
            digest.update("\n".join(ids).encode())
        digest.update(np.ascontiguousarray(self.timestamps).tobytes())
        return digest.hexdigest()

    def to_frame(self) -> pd.DataFrame:
        """Rows with outside ids, in stored order."""
        return pd.DataFrame(
            {
                "user_id": self.users.ids[self.user_index],
                "item_id": self.items.ids[self.item_index],
                "rating": self.ratings,
                "timestamp": self.timestamps,
                "weight": self.weights,
            }
        )

    @cached_property
    def _time_order(self) -> np.ndarray:
        # The hash only matters between rows of one user at one timestamp: compute it there.
        order = np.lexsort((self.timestamps, self.user_index))
        users, times = self.user_index[order], self.timestamps[order]
        same = (users[1:] == users[:-1]) & (times[1:] == times[:-1])
        tied = order[np.r_[same, False] | np.r_[False, same]]
        keys = np.zeros(len(order), np.uint64)
        keys[tied] = tie_keys(self.users.ids[self.user_index[tied]], self.items.ids[self.item_index[tied]])
        return np.lexsort((keys, self.timestamps, self.user_index))

    def time_order(self) -> np.ndarray:
        """Row order by user, then timestamp, then the sha1 tie key (PROTOCOL.md); computed once."""
        return self._time_order

    def select(self, rows: np.ndarray) -> Interactions:
        """The subset at the given row indices or boolean mask, same id maps."""
        return Interactions(
            self.users,
            self.items,
            self.user_index[rows],
            self.item_index[rows],
            self.timestamps[rows],
            self.ratings[rows],
            self.weights[rows],
        )

    def concat(self, other: Interactions) -> Interactions:
        """Rows of both tables; they must share id maps (as the parts of one Split do)."""
        if self.users != other.users or self.items != other.items:
            raise ValueError("concat needs Interactions built over the same user and item maps")
        return Interactions(
            self.users,
            self.items,
            *(
                np.concatenate([getattr(self, name), getattr(other, name)])
                for name in ("user_index", "item_index", "timestamps", "ratings", "weights")
            ),
        )

    def matrix(self, binary: bool = True) -> sp.csr_matrix:
        """User x item CSR matrix: 1 where a user met an item, or summed weights."""
        data = np.ones(len(self), np.float32) if binary else self.weights
        matrix = sp.csr_matrix(
            (data, (self.user_index, self.item_index)),
            shape=(self.n_users, self.n_items),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        if binary:
            matrix.data[:] = 1.0
        return matrix

    def histories(self) -> list[np.ndarray]:
        """Each user's item indices in time order (empty for users with no rows here)."""
        return self._per_user(self.item_index)

    def weight_histories(self) -> list[np.ndarray]:
        """Each user's confidence weights, aligned with `histories()`."""
        return self._per_user(self.weights)

    def _per_user(self, values: np.ndarray) -> list[np.ndarray]:
        order = self.time_order()
        users, ordered = self.user_index[order], values[order]
        bounds = np.searchsorted(users, np.arange(self.n_users + 1))
        return [ordered[bounds[u] : bounds[u + 1]] for u in range(self.n_users)]

    def item_counts(self) -> np.ndarray:
        """Number of rows per item index."""
        return np.bincount(self.item_index, minlength=self.n_items)

    def user_counts(self) -> np.ndarray:
        """Number of rows per user index."""
        return np.bincount(self.user_index, minlength=self.n_users)
