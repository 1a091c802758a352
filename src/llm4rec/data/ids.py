"""Two-way mapping between outside ids (strings) and dense integer indices."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from llm4rec.errors import UnknownIdError


class IdMap:
    """Outside ids (always strings) <-> dense indices 0..n-1, in sorted id order."""

    def __init__(self, ids: Iterable[object]) -> None:
        self.ids = np.asarray([str(i) for i in ids], dtype=object)
        self._index = {value: position for position, value in enumerate(self.ids)}
        if len(self._index) != len(self.ids):
            raise ValueError("IdMap ids must be unique")

    @classmethod
    def from_values(cls, *value_arrays: Iterable[object]) -> IdMap:
        """The sorted unique ids found in any of the given arrays."""
        seen: set[str] = set()
        for values in value_arrays:
            seen.update(str(v) for v in values)
        return cls(sorted(seen))

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
        if missing is None:
            return np.fromiter((self.index(v) for v in values), dtype=np.int64)
        return np.fromiter((self._index.get(str(v), missing) for v in values), dtype=np.int64)
