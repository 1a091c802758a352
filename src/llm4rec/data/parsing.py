"""Turn a table of strings into typed interaction columns, row by row problems reported."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from llm4rec.data.report import EXAMPLES_KEPT, LoadReport, RowProblem
from llm4rec.errors import DataError

INTERACTION_COLUMNS = ("user_id", "item_id", "timestamp")
MISSING_TOKENS = {"", "nan", "NaN", "NULL", "null", "None", "NA", "<NA>"}


def require_columns(
    frame: pd.DataFrame, wanted: Mapping[str, str], file: Path | str, optional: tuple = ()
) -> None:
    """Raise naming the first missing column and listing the columns the file has."""
    for canonical, column in wanted.items():
        if canonical not in optional and column not in frame.columns:
            raise DataError(
                f"Missing column {column!r}; the file has columns {list(frame.columns)}",
                file=file,
                line=1,
                column=column,
                hint=f"Rename the column in the file's header to {canonical!r}; from Python, "
                f"load_events(..., columns={{'{canonical}': 'YourName'}}) maps it instead.",
            )


def parse_timestamps(values: pd.Series) -> np.ndarray:
    """Seconds since the epoch as float (NaN where unparsable): numbers or ISO-8601 dates."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, copy=True)
    text = np.isnan(numbers) & ~values.isin(MISSING_TOKENS).to_numpy()
    if text.any():
        dates = pd.to_datetime(values[text], errors="coerce", utc=True, format="ISO8601")
        seconds = (dates - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
        numbers[text] = seconds.astype(float).to_numpy()
    return numbers


def parse_interactions(
    raw: pd.DataFrame,
    file: Path | str,
    report: LoadReport,
    columns: Mapping[str, str] | None = None,
    first_line: int = 2,
) -> pd.DataFrame:
    """Columns user_id, item_id, timestamp, rating (NaN if absent) from raw string columns.

    `columns` maps canonical names to the file's names; `first_line` is the file line of
    the first data row (2 below a header). Bad rows raise, or are skipped and counted.
    """
    names = {name: name for name in (*INTERACTION_COLUMNS, "rating")} | dict(columns or {})
    require_columns(raw, names, file, optional=("rating",))
    lines = np.arange(len(raw)) + first_line
    examples: list[RowProblem] = []
    bad = np.zeros(len(raw), dtype=bool)

    def flag(mask: np.ndarray, column: str, describe) -> None:
        new = mask & ~bad
        examples.extend(
            RowProblem(str(file), int(lines[row]), column, describe(row))
            for row in np.flatnonzero(new)[:EXAMPLES_KEPT]
        )
        bad[:] |= new

    ids = {key: raw[names[key]].str.strip() for key in ("user_id", "item_id")}
    for key, values in ids.items():
        flag(values.isin(MISSING_TOKENS).to_numpy(), names[key], lambda r, k=key: f"empty {k}")
    stamps = parse_timestamps(raw[names["timestamp"]])
    flag(
        ~np.isfinite(stamps),
        names["timestamp"],
        lambda r: f"timestamp {raw[names['timestamp']].iat[r]!r} is neither a number "
        "(seconds since 1970) nor an ISO-8601 date",
    )
    ratings = np.full(len(raw), np.nan)
    if names["rating"] in raw:
        text = raw[names["rating"]]
        ratings = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        flag(
            np.isnan(ratings) & ~text.isin(MISSING_TOKENS).to_numpy(),
            names["rating"],
            lambda r: f"rating {text.iat[r]!r} is not a number",
        )
        flag(np.isinf(ratings), names["rating"], lambda r: f"rating {text.iat[r]!r} is not a finite number")
    examples.sort(key=lambda problem: problem.line)
    report.bad_rows(examples, int(bad.sum()), "Fix or remove the named row.")
    keep = ~bad
    frame = pd.DataFrame(
        {
            "user_id": ids["user_id"].to_numpy()[keep],
            "item_id": ids["item_id"].to_numpy()[keep],
            "timestamp": stamps[keep].astype(np.int64),
            "rating": ratings[keep],
            "_line": lines[keep],  # file line of each row, for later error messages
        }
    )
    for name, column in (columns or {}).items():
        if name not in frame and column in raw:
            frame[name] = raw[column].to_numpy()[keep]
    return frame


def report_duplicates(frame: pd.DataFrame, report: LoadReport, file: Path | str | None = None) -> None:
    """Count (user, item, timestamp) rows that occur more than once; they are kept. `file`
    names where they are when a dataset is read from several files."""
    duplicated = frame.duplicated(["user_id", "item_id", "timestamp"], keep="first")
    report.duplicates += int(duplicated.sum())
    where = f"{Path(file).name} " if file is not None else ""
    for _, row in frame[duplicated].head(3).iterrows():
        report.duplicate_examples.append(f"{where}{row.user_id}/{row.item_id}@{row.timestamp}")
