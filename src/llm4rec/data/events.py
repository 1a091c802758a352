"""Generic event logs (CSV, Parquet, JSON lines) plus an optional catalogue file. Parquet, CSV/TSV
and UTF-8 JSON lines, plain or gzipped, are read in Arrow batches (`arrow_events`), so a
100M-event log fits in memory; multi-character separators and a file Arrow cannot read (bad
quoting, a row with more fields than the header, text that is not UTF-8, a JSON field whose
type changes between lines) go through the text reader, whose messages name the line and whose
encoding detection reads any file."""

from __future__ import annotations

import copy
import csv
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from llm4rec.data import arrow_events
from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import Dataset, MissingItemPolicy, build_dataset, check_items_in_catalog
from llm4rec.data.parsing import INTERACTION_COLUMNS, parse_interactions
from llm4rec.data.report import LoadReport
from llm4rec.data.tables import SEPARATORS, read_table, sniffed_separator, suffix
from llm4rec.errors import DataError

DELIMITED_SUFFIXES = (".csv", ".tsv")
JSON_SUFFIXES = (".jsonl", ".json")
TEXT_FALLBACK_BYTES = 1 << 30  # past this a file Arrow rejects is not re-read as text: it would not fit
GZIP_RATIO = 4  # an event log gzips to a quarter of its size or less: the text limit on a .gz file

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
    attempt = copy.deepcopy(report)  # what the batches noted is dropped if the text reader reads it again
    try:
        source = _batch_source(events, separator, encoding, attempt)
        if source is not None:
            return _load_batched(source, item_catalog, columns, attempt, on_missing_item)
    except (pa.ArrowException, OSError, EOFError) as error:  # the text reader names the line
        if events.suffix == ".parquet" or events.stat().st_size > _text_limit(events):
            raise DataError(f"The file could not be read ({error})", file=events,
                            hint=_unreadable_hint(events)) from None
    frame, extra = _parse_events(events, columns, separator, encoding, report)
    if item_catalog is not None:
        frame = check_items_in_catalog(frame, item_catalog, events, report, on_missing_item)
    fields = frame[extra].reset_index(drop=True) if extra else None
    return build_dataset(events.stem, frame, report, item_catalog, events=fields)


def _batch_source(events: Path, separator: str | None, encoding: str | None,
                  report: LoadReport) -> arrow_events.BatchSource | None:
    """Parquet, UTF-8 JSON lines, or a CSV/TSV with a one-character separator (sniffed from the
    header as the text reader does), plain or gzipped; None for what only the text reader reads."""
    if events.suffix == ".parquet":
        return arrow_events.parquet_source(events)
    if not events.exists():
        return None
    if suffix(events) in JSON_SUFFIXES:
        utf8 = encoding is None or encoding.lower().replace("-", "").replace("_", "") == "utf8"
        return arrow_events.json_source(events) if utf8 else None
    if suffix(events) not in DELIMITED_SUFFIXES or not (header := _first_line(events, encoding)):
        return None
    chosen = sniffed_separator(header, separator or SEPARATORS[suffix(events)], separator, events, report)
    if len(chosen) != 1:
        return None
    columns = next(csv.reader([header], delimiter=chosen))  # quoted names may hold the separator
    return arrow_events.csv_source(events, columns, chosen, encoding)


def _first_line(events: Path, encoding: str | None) -> str | None:
    """The header line, or None when it does not decode (the text reader detects the encoding)."""
    head = b""
    with arrow_events.open_binary(events) as file:  # an Arrow stream has no readline
        while b"\n" not in head and (chunk := file.read(1 << 16)):
            head += chunk
    try:
        return head.split(b"\n", 1)[0].decode(encoding or "utf-8-sig").rstrip("\r\n")
    except (UnicodeDecodeError, LookupError):
        return None


def _text_limit(events: Path) -> int:
    """The largest file (bytes on disk) the text reader is asked to read after Arrow failed."""
    return TEXT_FALLBACK_BYTES // (GZIP_RATIO if events.suffix == ".gz" else 1)


def _unreadable_hint(events: Path) -> str:
    if events.suffix == ".parquet":
        return "Check that it was written completely, or pass the data as .csv."
    if suffix(events) in JSON_SUFFIXES:
        return ("Arrow fixes each field's type from the first lines: write every field with one JSON type on "
                "every line (ids all strings or all numbers, no field that is only null at first), or convert "
                "it to Parquet.")
    return "Check its separator and quoting, convert it to UTF-8 if it is not, or convert it to Parquet."


def _load_batched(source: arrow_events.BatchSource, catalog: ItemCatalog | None, columns: Mapping[str, str] | None,
                  report: LoadReport, on_missing_item: MissingItemPolicy) -> Dataset:
    """Read in Arrow batches (see arrow_events), never whole as text."""
    names, extra = _column_names(source.columns, columns)
    interactions, fields, dropped = arrow_events.load_batched_events(source, names, extra, report)
    if catalog is not None:
        interactions, fields = arrow_events.check_catalogued(interactions, fields, dropped, catalog, source, report,
                                                             on_missing_item)
    arrow_events.report_duplicate_rows(interactions, report)
    return Dataset(source.path.stem, interactions, catalog, report=report, events=fields)


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
    first_line = 1 if suffix(events) in JSON_SUFFIXES else 2  # JSON lines have no header, gzipped or not
    return parse_interactions(raw, events, report, names | extra, first_line=first_line), list(extra)
