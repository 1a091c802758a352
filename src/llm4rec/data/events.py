"""Generic event logs (CSV, Parquet, JSON lines) plus an optional catalogue file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import Dataset, MissingItemPolicy, build_dataset, check_items_in_catalog
from llm4rec.data.parsing import INTERACTION_COLUMNS, parse_interactions
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
    item_catalog = None
    if catalog is not None:
        item_catalog = ItemCatalog.from_raw(read_table(catalog, encoding=encoding, report=report), catalog, report)
    if events.suffix == ".parquet":
        return _load_parquet(events, item_catalog, columns, report, on_missing_item)
    frame, extra = _parse_events(events, columns, separator, encoding, report)
    if item_catalog is not None:
        frame = check_items_in_catalog(frame, item_catalog, events, report, on_missing_item)
    fields = frame[extra].reset_index(drop=True) if extra else None
    return build_dataset(events.stem, frame, report, item_catalog, events=fields)


def _load_parquet(events: Path, catalog: ItemCatalog | None, columns: Mapping[str, str] | None, report: LoadReport,
                  on_missing_item: MissingItemPolicy) -> Dataset:
    """Parquet keeps its column types: read in batches (see parquet_events), never as text."""
    from llm4rec.data import parquet_events as parquet

    names, extra = _column_names(parquet.open_parquet(events).schema_arrow.names, columns)
    interactions, fields, dropped = parquet.load_parquet_events(events, names, extra, report)
    if catalog is not None:
        interactions, fields = parquet.check_catalogued(interactions, fields, dropped, catalog, events, report,
                                                        on_missing_item)
    parquet.report_duplicate_rows(interactions, report)
    return Dataset(events.stem, interactions, catalog, report=report, events=fields)


def _column_names(available: list[str], columns: Mapping[str, str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """(canonical -> file column for the interaction columns, the same for the event fields present)."""
    names = {name: name for name in (*INTERACTION_COLUMNS, "rating")} | dict(columns or {})
    if "rating" not in (columns or {}) and "rating" not in available and "value" in available:
        names["rating"] = "value"
    extra = {f: (columns or {}).get(f, f) for f in EVENT_FIELDS if (columns or {}).get(f, f) in available}
    return names, extra


def _parse_events(events: Path, columns: Mapping[str, str] | None, separator: str | None, encoding: str | None,
                  report: LoadReport) -> tuple[pd.DataFrame, list[str]]:
    """The typed interaction frame and the event fields it carries; the raw table of strings
    (several GB for ten million events) is freed on return, before the dataset is built."""
    raw = read_table(events, separator, encoding, report=report)
    names, extra = _column_names(list(raw.columns), columns)
    first_line = 1 if events.suffix in (".jsonl", ".json") else 2
    return parse_interactions(raw, events, report, names | extra, first_line=first_line), list(extra)
