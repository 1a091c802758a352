"""Two-way mapping between outside ids (strings) and dense integer indices."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from llm4rec.errors import UnknownIdError


def as_strings(values: Iterable[object]) -> np.ndarray:
    """The values as an object array of `str(value)`, vectorised by pandas: a Python step per
    row cost about 5 s per million rows of ids when loading a large log."""
    if not isinstance(values, np.ndarray | pd.Series | pd.Index | list | tuple):
        values = list(values)
    return pd.Series(values, dtype=object).astype(str).to_numpy(dtype=object)


class IdMap:
    """Outside ids (always strings) <-> dense indices 0..n-1, in sorted id order."""

    def __init__(self, ids: Iterable[object]) -> None:
        self.ids = np.asarray([str(i) for i in ids], dtype=object)
        self._index = {value: position for position, value in enumerate(self.ids)}
        if len(self._index) != len(self.ids):
            raise ValueError("IdMap ids must be unique")
        self._lookup = pd.Index(self.ids)

    @classmethod
    def from_values(cls, *value_arrays: Iterable[object]) -> IdMap:
        """The sorted unique ids found in any of the given arrays."""
        parts = [as_strings(values) for values in value_arrays]
        return cls(sorted(pd.unique(np.concatenate(parts))) if parts else [])

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, value: object) -> bool:
        return str(value) in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdMap) and np.array_equal(self.ids, other.ids)

    def __hash__(self) -> int:
        return hash(tuple(self.ids))

    def index(self, value: object, kind: str = "id") -> int:
        """The index of one id; raises UnknownIdError naming the id."""
        try:
            return self._index[str(value)]
        except KeyError:
            raise UnknownIdError(
                f"Unknown {kind} {value!r}: it is not among the {len(self)} {kind}s of this data."
            ) from None

    def indices(self, values: Iterable[object], missing: int | None = None) -> np.ndarray:
        """Indices of many ids; unknown ids map to `missing`, or raise when it is None."""
        strings = as_strings(values)
        positions = self._lookup.get_indexer(strings).astype(np.int64)
        unknown = positions < 0
        if unknown.any():
            if missing is None:
                self.index(strings[np.argmax(unknown)])  # raises, naming the first unknown id
            positions[unknown] = missing
        return positions
