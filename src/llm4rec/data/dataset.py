"""What every loader returns: interactions plus whatever side data the source has."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.data.parsing import report_duplicates
from llm4rec.data.report import EXAMPLES_KEPT, LoadReport, RowProblem

MissingItemPolicy = Literal["error", "keep"]


@dataclass
class Dataset:
    """Interactions, an optional catalogue, user table and user-written text (reviews, tags).

    `user_texts` has columns user_id, item_id, text, timestamp so that profiles can use only
    text written before a split point; `events` holds per-row fields beyond the core ones
    (event_type, dwell_time, value), aligned with the interaction rows.
    """

    name: str
    interactions: Interactions
    catalog: ItemCatalog | None = None
    users: pd.DataFrame | None = None
    user_texts: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    report: LoadReport = field(default_factory=LoadReport)


def check_items_in_catalog(
    frame: pd.DataFrame,
    catalog: ItemCatalog,
    file: Path | str,
    report: LoadReport,
    on_missing: MissingItemPolicy = "error",
) -> pd.DataFrame:
    """Interactions whose item the catalogue lacks: an error (or skipped and counted), or kept
    with a warning when the catalogue is only side information (`on_missing="keep"`)."""
    missing = catalog.missing(frame["item_id"])
    if not missing.any():
        return frame
    rows = np.flatnonzero(missing)
    if on_missing == "keep":
        examples = ", ".join(map(str, frame["item_id"].iloc[rows[:EXAMPLES_KEPT]]))
        report.warn(
            f"{len(rows)} interactions ({len(set(frame['item_id'].iloc[rows]))} items) have no "
            f"catalogue row; kept with empty text, for example items {examples}"
        )
        return frame
    examples = [
        RowProblem(
            str(file),
            int(frame["_line"].iloc[row]),
            "item_id",
            f"item {frame['item_id'].iloc[row]!r} is not in the catalogue",
        )
        for row in rows[:EXAMPLES_KEPT]
    ]
    report.bad_rows(examples, len(rows), "Add the item to the catalogue or remove the row.")
    return frame[~missing].reset_index(drop=True)


def build_dataset(
    name: str,
    frame: pd.DataFrame,
    report: LoadReport,
    catalog: ItemCatalog | None = None,
    **extra: object,
) -> Dataset:
    """Final common step of every loader: duplicates reported, interactions indexed."""
    report_duplicates(frame, report)
    return Dataset(name, Interactions.from_frame(frame), catalog, report=report, **extra)
