"""Generic event logs (CSV, Parquet, JSON lines) plus an optional catalogue file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import Dataset, MissingItemPolicy, build_dataset, check_items_in_catalog
from llm4rec.data.parsing import parse_interactions
from llm4rec.data.report import LoadReport
from llm4rec.data.tables import read_table

EVENT_FIELDS = ("event_type", "dwell_time", "value")


def load_events(
    events: Path | str,
    catalog: Path | str | None = None,
    columns: Mapping[str, str] | None = None,
    separator: str | None = None,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
    on_missing_item: MissingItemPolicy = "error",
) -> Dataset:
    """Events with user_id, item_id, timestamp and optional event_type, value/rating, dwell_time.

    `columns` maps those names to the file's own; the event fields are kept row-aligned in
    `Dataset.events` for the feedback stage.
    """
    events = Path(events)
    report = LoadReport(skip_bad_rows)
    frame, extra = _parse_events(events, columns, separator, encoding, report)
    item_catalog = None
    if catalog is not None:
        item_catalog = ItemCatalog.from_raw(read_table(catalog, encoding=encoding, report=report), catalog, report)
        frame = check_items_in_catalog(frame, item_catalog, events, report, on_missing_item)
    fields = frame[extra].reset_index(drop=True) if extra else None
    return build_dataset(events.stem, frame, report, item_catalog, events=fields)


def _parse_events(events: Path, columns: Mapping[str, str] | None, separator: str | None, encoding: str | None,
                  report: LoadReport) -> tuple[pd.DataFrame, list[str]]:
    """The typed interaction frame and the event fields it carries; the raw table of strings
    (several GB for ten million events) is freed on return, before the dataset is built."""
    raw = read_table(events, separator, encoding, report=report)
    names = dict(columns or {})
    if "rating" not in names and "rating" not in raw and "value" in raw:
        names["rating"] = "value"
    first_line = 1 if events.suffix in (".jsonl", ".json", ".parquet") else 2
    extra = {f: names.get(f, f) for f in EVENT_FIELDS if names.get(f, f) in raw}
    return parse_interactions(raw, events, report, names | extra, first_line=first_line), list(extra)
