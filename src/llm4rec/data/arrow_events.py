"""Event logs (Parquet, CSV/TSV, JSON lines; plain or gzipped) read batch by batch as Arrow
tables, never whole as text.

The generic reader (`tables.read_table`) turns every cell into a Python string before
validating it: 10,000,000 events took 4.8 GB that way, so a 100M-event log did not fit 24 GB.
Here each batch of rows is checked in its own types: ids are dictionary-encoded by Arrow and
only each batch's distinct ids become strings; numbers stay numbers; a string column is parsed
as the text reader would. Kept rows go into compact typed arrays (int32 indices, int64 seconds,
float32 values) and the batches' id dictionaries are unified at the end, so memory holds those
arrays plus one batch. Parquet keeps its column types; CSV is streamed by Arrow's reader with
every cell as a string, so its values are read exactly as the text reader reads them; JSON lines
keep their JSON types (a number id becomes the same string the text reader makes of it). A bad
value is named by file, row and column as in every loader (Parquet: row 1 is the first data row;
CSV: the file line, 2 below the header; JSON lines: the file line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import MissingItemPolicy
from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.data.parsing import MISSING_TOKENS, parse_timestamps, require_columns
from llm4rec.data.report import EXAMPLES_KEPT, LoadReport, RowProblem
from llm4rec.errors import DataError
from llm4rec.progress import track

BATCH_ROWS = 1_000_000
CSV_BLOCK_BYTES = 32 << 20  # about a million short CSV rows per batch, as BATCH_ROWS
JSON_BLOCK_BYTES = 64 << 20  # JSON lines repeat the field names: about as many rows per batch
TEXT_FIELDS = ("event_type",)  # event fields kept as categories; the others are numbers


def open_parquet(path: Path) -> pq.ParquetFile:
    """The file's reader; a missing or damaged file is a DataError, not pyarrow's traceback."""
    if not path.exists():
        raise DataError("File not found", file=path, hint="Check the path and the file name.")
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise DataError(f"The file is not a readable Parquet file ({error})", file=path,
                        hint="Check that it was written completely (a Parquet file ends in the bytes PAR1), "
                        "or pass the data as .csv or .jsonl.") from None


def _is_numeric(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)


def as_floats(column: pa.ChunkedArray) -> np.ndarray:
    """A column as float64, NaN where missing or (text) not a number."""
    if _is_numeric(column.type):
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return pd.to_numeric(pd.Series(column.to_pandas(), dtype=object), errors="coerce").to_numpy(dtype=float)


class _Batch:
    """One batch's rows, checked: which are bad (first problem per row), and the typed values."""

    def __init__(self, table: pa.Table, first_row: int, names: Mapping[str, str], path: Path) -> None:
        self.path, self.first_row, self.n = path, first_row, table.num_rows
        self.bad = np.zeros(self.n, dtype=bool)
        self.problems: list[RowProblem] = []
        self.ids = {key: self._ids(table.column(names[key]), names[key], key) for key in ("user_id", "item_id")}
        self.timestamps = self._timestamps(table.column(names["timestamp"]), names["timestamp"])
        self.ratings = (self._numbers(table.column(names["rating"]), names["rating"], "rating")
                        if names["rating"] in table.column_names else np.full(self.n, np.nan))

    def flag(self, mask: np.ndarray, column: str, describe) -> None:
        new = mask & ~self.bad
        self.problems.extend(RowProblem(str(self.path), self.first_row + int(row), column, describe(row))
                             for row in np.flatnonzero(new)[:EXAMPLES_KEPT])
        self.bad |= new

    def _ids(self, column: pa.ChunkedArray, name: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(per-row positions into the batch's dictionary, the dictionary as stripped strings)."""
        encoded = pc.dictionary_encode(column).combine_chunks()
        dictionary = pd.Series(encoded.dictionary.to_pandas(), dtype=object).astype(str).str.strip()
        positions = encoded.indices.to_numpy(zero_copy_only=False)
        missing = np.flatnonzero(dictionary.isin(MISSING_TOKENS).to_numpy())
        null = encoded.indices.is_null().to_numpy(zero_copy_only=False)
        self.flag(null | np.isin(positions, missing), name, lambda r: f"empty {key}")
        return np.where(null, 0, positions).astype(np.int32), dictionary.to_numpy(dtype=object)

    def _timestamps(self, column: pa.ChunkedArray, name: str) -> np.ndarray:
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            seconds = pc.cast(pc.cast(column, pa.timestamp("s")), pa.int64()).to_numpy().astype(float)
            stamps = np.where(column.is_null().to_numpy(zero_copy_only=False), np.nan, seconds)
        elif _is_numeric(column.type):
            stamps = as_floats(column)
        else:
            stamps = parse_timestamps(pd.Series(column.to_pandas(), dtype=object).astype(str))
        self.flag(~np.isfinite(stamps), name, lambda r: f"timestamp {column[int(r)].as_py()!r} is neither a number "
                  "(seconds since 1970) nor an ISO-8601 date")
        return stamps

    def _numbers(self, column: pa.ChunkedArray, name: str, key: str) -> np.ndarray:
        """Floats; NaN where missing; a value that is not a finite number flags its row."""
        values = as_floats(column)
        if not _is_numeric(column.type):
            text = pd.Series(column.to_pandas(), dtype=object)
            absent = text.isna().to_numpy() | text.astype(str).isin(MISSING_TOKENS).to_numpy()
            self.flag(np.isnan(values) & ~absent, name, lambda r: f"{key} {column[int(r)].as_py()!r} is not a number")
        self.flag(np.isinf(values), name, lambda r: f"{key} {column[int(r)].as_py()!r} is not a finite number")
        return values


class _Vocabulary:
    """Ids in the order first met: each batch's dictionary becomes codes into it, and only the
    distinct ids are ever held as strings (concatenating every batch's dictionary first held
    tens of millions of them at 100 million events)."""

    def __init__(self) -> None:
        self.positions: dict[str, int] = {}

    def codes(self, dictionary: np.ndarray) -> np.ndarray:
        add = self.positions.setdefault
        return np.fromiter((add(value, len(self.positions)) for value in dictionary), np.int32, len(dictionary))

    def sorted(self) -> tuple[IdMap, np.ndarray]:
        """The sorted IdMap, and each code's index in it."""
        ids = np.array(list(self.positions), dtype=object)
        order = np.argsort(ids, kind="stable")
        remap = np.empty(len(ids), np.int32)
        remap[order] = np.arange(len(ids), dtype=np.int32)
        return IdMap(ids[order]), remap


@dataclass(frozen=True)
class BatchSource:
    """A log as Arrow batches: its columns, an upper bound on its rows (the arrays are allocated
    once for it) and the file row of its first data row."""

    path: Path
    columns: list[str]
    rows_bound: int
    first_row: int
    batches: Callable[[list[str]], Iterator[pa.RecordBatch]]  # the wanted columns' batches


def parquet_source(path: Path) -> BatchSource:
    parquet = open_parquet(path)
    return BatchSource(path, parquet.schema_arrow.names, parquet.metadata.num_rows, 1,
                       lambda wanted: parquet.iter_batches(BATCH_ROWS, columns=wanted))


def csv_source(path: Path, columns: list[str], separator: str, encoding: str | None) -> BatchSource:
    """A delimited file (plain or .gz) streamed by Arrow with every cell a string (empty cells
    ''), whose header is `columns` (read and checked by the caller). The row bound counts the
    file's line breaks."""
    def batches(wanted: list[str]) -> Iterator[pa.RecordBatch]:
        as_text = pacsv.ConvertOptions(include_columns=wanted, column_types=dict.fromkeys(columns, pa.string()),
                                       strings_can_be_null=False, quoted_strings_can_be_null=False)
        return pacsv.open_csv(path, pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, encoding=encoding or "utf8"),
                              pacsv.ParseOptions(delimiter=separator), as_text)

    return BatchSource(path, columns, _line_breaks(path) + 1, 2, batches)


def json_source(path: Path) -> BatchSource:
    """JSON lines (UTF-8, plain or .gz) streamed by Arrow, each field in the type its first block
    shows; a later line that changes a field's type (an id written once as a number, once as a
    string) raises ArrowInvalid, and the caller reads the file as text instead. The columns are
    the fields of the first block. Opening the reader parses that block, so the first read reuses
    the reader that gave the columns instead of parsing the block again."""
    def open_reader() -> pa.RecordBatchReader:
        return pajson.open_json(path, pajson.ReadOptions(block_size=JSON_BLOCK_BYTES))

    unread = [open_reader()]

    def batches(wanted: list[str]) -> Iterator[pa.RecordBatch]:
        reader = unread.pop() if unread else open_reader()
        return (batch.select(wanted) for batch in reader)

    return BatchSource(path, unread[0].schema.names, _line_breaks(path) + 1, 1, batches)


def open_binary(path: Path) -> pa.NativeFile:
    """The file's bytes, gunzipped for a .gz name, as a stream."""
    return pa.input_stream(str(path), compression="gzip" if path.suffix == ".gz" else None)


def _line_breaks(path: Path) -> int:
    count = 0
    with open_binary(path) as file:
        while chunk := file.read(64 << 20):
            count += chunk.count(b"\n")
    return count


def load_batched_events(source: BatchSource, names: Mapping[str, str], extra: Mapping[str, str],
                        report: LoadReport) -> tuple[Interactions, pd.DataFrame | None, np.ndarray]:
    """(interactions, the event fields row-aligned or None, the file rows left out as bad) from
    a batched log; `names` maps user_id, item_id, timestamp, rating to the file's columns, `extra`
    the event fields present. Every column is allocated once for the source's row bound and
    filled batch by batch."""
    path, available = source.path, source.columns
    require_columns(pd.DataFrame(columns=available), names, path, optional=("rating",))
    wanted = list(dict.fromkeys([c for c in names.values() if c in available] + list(extra.values())))
    n = source.rows_bound
    codes = {key: (np.empty(n, np.int32), _Vocabulary()) for key in ("user_id", "item_id", *(
        f for f in extra if f in TEXT_FIELDS))}
    numbers = {f: np.empty(n, np.float32) for f in extra if f not in TEXT_FIELDS}
    times, ratings = np.empty(n, np.int64), np.empty(n, np.float32)
    dropped, cursor, first_row = [], 0, source.first_row
    for batch in track(source.batches(wanted), f"reading {path.name} (up to {n:,} rows)"):
        table = pa.Table.from_batches([batch])
        checked = _Batch(table, first_row, names, path)
        report.bad_rows(checked.problems, int(checked.bad.sum()), "Fix or remove the named row.")
        keep = ~checked.bad
        rows = slice(cursor, cursor + int(keep.sum()))
        for key in ("user_id", "item_id"):
            positions, dictionary = checked.ids[key]
            codes[key][0][rows] = codes[key][1].codes(dictionary)[positions[keep]]
        times[rows], ratings[rows] = checked.timestamps[keep], checked.ratings[keep]
        for field, column in extra.items():
            if field in TEXT_FIELDS:  # a category: codes into its own vocabulary, -1 where missing
                encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
                local = codes[field][1].codes(encoded.dictionary.to_numpy(zero_copy_only=False).astype(str))
                positions = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                codes[field][0][rows] = np.where(positions >= 0, local[np.maximum(positions, 0)], -1)[keep]
            else:
                numbers[field][rows] = as_floats(table.column(column))[keep]
        dropped.append(np.flatnonzero(checked.bad) + first_row)
        cursor, first_row = rows.stop, first_row + checked.n
    if not cursor:
        raise DataError("The file has no valid data rows" if first_row > source.first_row
                        else "The file has a header but no data rows", file=path)
    (users, user_remap), (items, item_remap) = codes["user_id"][1].sorted(), codes["item_id"][1].sorted()
    interactions = Interactions(users, items, user_remap[codes["user_id"][0][:cursor]],
                                item_remap[codes["item_id"][0][:cursor]], times[:cursor], ratings[:cursor],
                                np.ones(cursor, np.float32))
    events = None
    if extra:
        events = pd.DataFrame({field: numbers[field][:cursor] if field in numbers
                               else _categories(*codes[field], cursor) for field in extra})
    return interactions, events, np.concatenate(dropped)


def _categories(codes: np.ndarray, vocabulary: _Vocabulary, rows: int) -> pd.Categorical:
    categories, remap = vocabulary.sorted()
    kept = codes[:rows]
    return pd.Categorical.from_codes(np.where(kept >= 0, remap[np.maximum(kept, 0)], -1), categories.ids)


def file_rows(kept: np.ndarray, dropped: np.ndarray, first_row: int = 1) -> np.ndarray:
    """The file row of each kept row index, given the sorted file rows left out and the file row
    of the first data row: kept row k follows the dropped rows that have at most k kept rows
    before them."""
    kept_before = np.asarray(dropped) - np.arange(len(dropped)) - first_row
    return kept + first_row + np.searchsorted(kept_before, kept, side="right")


def check_catalogued(interactions: Interactions, events: pd.DataFrame | None, dropped: np.ndarray,
                     catalog: ItemCatalog, source: BatchSource, report: LoadReport, on_missing: MissingItemPolicy
                     ) -> tuple[Interactions, pd.DataFrame | None]:
    """The catalogue rule of `dataset.check_items_in_catalog`, over item indices."""
    uncatalogued = np.flatnonzero(catalog.missing(pd.Series(interactions.items.ids)))
    missing = np.isin(interactions.item_index, uncatalogued)
    if not missing.any():
        return interactions, events
    at = np.flatnonzero(missing)
    if on_missing == "keep":
        examples = ", ".join(map(str, interactions.items.ids[interactions.item_index[at[:EXAMPLES_KEPT]]]))
        report.warn(f"{len(at)} interactions ({len(np.unique(interactions.item_index[at]))} items) have no "
                    f"catalogue row; kept with empty text, for example items {examples}")
        return interactions, events
    lines = file_rows(at[:EXAMPLES_KEPT], dropped, source.first_row)
    examples = [RowProblem(str(source.path), int(line), "item_id",
                           f"item {interactions.items.ids[interactions.item_index[row]]!r} is not in the catalogue")
                for row, line in zip(at[:EXAMPLES_KEPT], lines, strict=True)]
    report.bad_rows(examples, len(at), "Add the item to the catalogue or remove the row.")
    keep = ~missing
    return interactions.select(keep), None if events is None else events[keep].reset_index(drop=True)


def report_duplicate_rows(interactions: Interactions, report: LoadReport) -> None:
    """`parsing.report_duplicates` over indices: (user, item, timestamp) rows seen before. By
    sorting, not pandas' hash table, which took most of the memory of a 100M-event ingest."""
    key = interactions.user_index.astype(np.int64) * interactions.n_items + interactions.item_index
    order = np.lexsort((interactions.timestamps, key))
    key, stamps = key[order], interactions.timestamps[order]
    later = order[1:][(key[1:] == key[:-1]) & (stamps[1:] == stamps[:-1])]
    report.duplicates += len(later)
    for row in np.sort(later)[:3]:
        report.duplicate_examples.append(f"{interactions.users.ids[interactions.user_index[row]]}/"
                                         f"{interactions.items.ids[interactions.item_index[row]]}"
                                         f"@{interactions.timestamps[row]}")
