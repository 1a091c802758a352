"""The item catalogue: id -> text fields and side features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from llm4rec.data.ids import IdMap
from llm4rec.data.parsing import MISSING_TOKENS, require_columns
from llm4rec.data.report import EXAMPLES_KEPT, LoadReport, RowProblem

TITLE_COLUMNS = ("title", "movie_title", "name", "product_title")
NUMERIC_TOLERANCE = 0.01  # a column is numeric if at most 1 % of its values are stray text


class ItemCatalog:
    """Item rows indexed by outside id (string); numeric columns are side features."""

    def __init__(self, frame: pd.DataFrame, raw: pd.DataFrame | None = None) -> None:
        self.frame = frame
        self.raw = raw if raw is not None else frame  # the values as read, for writing back unchanged
        self.vectors: dict[str, pd.DataFrame] = {}
        self.numeric_columns = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        self.text_columns = [c for c in frame.columns if c not in self.numeric_columns]

    @classmethod
    def from_raw(
        cls,
        raw: pd.DataFrame,
        file: Path | str,
        report: LoadReport,
        id_column: str = "item_id",
        first_line: int = 2,
    ) -> ItemCatalog:
        """Validate a table of strings: ids present and unique; number-only columns typed."""
        require_columns(raw, {"item_id": id_column}, file)
        ids = raw[id_column].str.strip()
        empty = ids.isin(MISSING_TOKENS).to_numpy()
        duplicated = ids.duplicated().to_numpy() & ~empty
        examples = [
            RowProblem(str(file), int(row) + first_line, id_column, reason)
            for mask, reason in ((empty, "empty item_id"), (duplicated, "item_id repeats an earlier row"))
            for row in np.flatnonzero(mask)[:EXAMPLES_KEPT]
        ]
        examples.sort(key=lambda problem: problem.line)
        report.bad_rows(examples, int((empty | duplicated).sum()), "Give every item one row.")
        frame = raw[~(empty | duplicated)].drop(columns=[id_column])
        frame.index = pd.Index(ids[~(empty | duplicated)], name="item_id")
        raw_rows = frame.copy()
        for column in frame.columns:
            present = ~frame[column].isin(MISSING_TOKENS)
            numbers = pd.to_numeric(frame[column].where(present), errors="coerce")
            stray = present & numbers.isna()
            if present.any() and stray.sum() <= NUMERIC_TOLERANCE * present.sum():
                if stray.any():
                    report.warn(f"{file}: column {column!r} is numeric but {int(stray.sum())} values are not "
                                f"numbers and are read as missing, e.g. {frame[column][stray].iloc[:3].tolist()}")
                frame[column] = numbers
        return cls(frame, raw_rows)

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, item_id: object) -> bool:
        return str(item_id) in self.frame.index

    @property
    def title_column(self) -> str | None:
        """The column that names an item best: a title if there is one, else the first text."""
        for name in TITLE_COLUMNS:
            if name in self.frame.columns:
                return name
        return self.text_columns[0] if self.text_columns else None

    def titles(self, item_ids: list[str] | np.ndarray) -> list[str]:
        """A display name per id (the id itself when the catalogue has none)."""
        column = self.title_column
        if column is None:
            return [str(i) for i in item_ids]
        values = self.frame[column].reindex([str(i) for i in item_ids])
        return [str(v) if isinstance(v, str) and v else str(i) for i, v in zip(item_ids, values, strict=True)]

    def aligned(self, items: IdMap) -> pd.DataFrame:
        """Rows in the order of an IdMap (missing items give empty rows)."""
        return self.frame.reindex(items.ids)

    def add_vectors(self, name: str, item_ids: list[str] | np.ndarray, vectors: np.ndarray) -> None:
        """Attach precomputed item vectors (image embeddings, say) that text-aware models use
        as one more modality; items without a row get zeros."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(item_ids):
            raise ValueError(f"vectors {name!r} must be (n_items, d) with one row per id; got {vectors.shape}")
        self.vectors[name] = pd.DataFrame(vectors, index=pd.Index([str(i) for i in item_ids], name="item_id"))

    def aligned_vectors(self, items: IdMap) -> list[np.ndarray]:
        """Each attached vector set as (n_items, d) in IdMap order, zeros where missing."""
        return [frame.reindex(items.ids).fillna(0.0).to_numpy(np.float32) for frame in self.vectors.values()]

    def missing(self, item_ids: pd.Series) -> np.ndarray:
        """Boolean mask of ids absent from the catalogue."""
        return ~item_ids.isin(self.frame.index).to_numpy()
