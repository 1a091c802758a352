"""Read a delimited, Parquet or JSON-lines file into a table of strings, with clear errors."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import warnings
import zlib
from pathlib import Path

import pandas as pd

from llm4rec.data.report import LoadReport
from llm4rec.errors import DataError

SEPARATORS = {".csv": ",", ".tsv": "\t", ".inter": "\t", ".item": "\t", ".user": "\t", ".dat": "::"}
_SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe", "::": "'::'"}


def suffix(path: Path) -> str:
    """The format suffix of a file name, lowercased, past any .gz."""
    suffixes = [s for s in path.suffixes if s != ".gz"]
    return suffixes[-1].lower() if suffixes else ""


FALLBACK_ENCODINGS = ("cp1252", "latin-1")  # tried in order when a file is not UTF-8; latin-1 decodes any byte


def read_text(path: Path, encoding: str | None = None, report: LoadReport | None = None) -> str:
    """The whole file as text (gzip is undone).

    With no `encoding` it is detected: UTF-8 (a byte-order mark is dropped) first, else the
    first of FALLBACK_ENCODINGS that decodes, with a note in `report` naming the first byte
    that is not UTF-8. A named `encoding` that does not fit raises, naming the line.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("File not found", file=path, hint="Check the path and the file name.")
    raw = _decompressed(path)
    if not raw.strip():
        raise DataError("The file is empty", file=path, hint="Point to a file that has data rows.")
    try:
        return raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        if encoding is not None:
            raise DataError(f"The file is not valid {encoding} text (byte {raw[error.start]:#x})", file=path,
                            line=line, hint="Leave the encoding out to detect it (UTF-8, else cp1252 or "
                            "latin-1), or convert the file to UTF-8.") from None
        fallback = next(name for name in FALLBACK_ENCODINGS if _decodes(raw, name))
        if report is not None:
            report.warn(f"{path} is not UTF-8 (byte {raw[error.start]:#x} on line {line}); read as {fallback}. "
                        "If its text reads wrong, convert the file to UTF-8.")
        return raw.decode(fallback)


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _decompressed(path: Path) -> bytes:
    """The file's bytes, gunzipped for a .gz name; a damaged archive is a DataError."""
    raw = path.read_bytes()
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"The file is not a readable gzip archive ({error})", file=path,
                        hint="Check that the download finished, or decompress it and pass the plain file.") from None


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a string; missing values become ''. Column by column, each released once
    converted, so a large typed table (Parquet) never sits in memory twice over as objects."""
    columns = {}
    for name in list(frame.columns):
        values = frame.pop(name)
        missing = values.isna().to_numpy()
        text = (values.map(str, na_action="ignore") if values.dtype == object else values.astype(str)).astype(object)
        text[missing] = ""
        columns[name] = text
    return pd.DataFrame(columns)


def read_table(
    path: Path | str,
    separator: str | None = None,
    encoding: str | None = None,
    column_names: list[str] | None = None,
    report: LoadReport | None = None,
) -> pd.DataFrame:
    """A file as a DataFrame of strings: CSV/TSV/atomic/.dat by separator, Parquet, JSON lines.

    `column_names` is for header-less formats (MovieLens .dat); otherwise the first line is
    the header. Without a `separator` the file name's suffix gives one, and a header that only
    splits on another common separator is read with that one (noted in `report`); without an
    `encoding` it is detected (see `read_text`).
    """
    path = Path(path)
    kind = suffix(path)
    if kind == ".parquet":
        frame = _read_parquet(path)
    elif kind in (".jsonl", ".json"):
        frame = pd.DataFrame(read_json_lines(path, encoding, report))
    else:
        frame = _read_delimited(path, separator, encoding, column_names, report)
    if frame.empty:
        raise DataError("The file has a header but no data rows", file=path)
    return _clean(frame)


def _read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file; a missing, empty or damaged one is a DataError, not pyarrow's traceback."""
    import pyarrow

    from llm4rec.data.arrow_events import open_parquet

    try:
        return open_parquet(path).read().to_pandas()
    except (pyarrow.ArrowException, OSError, ValueError) as error:
        raise DataError(f"The file is not a readable Parquet file ({error})", file=path,
                        hint="Check that it was written completely, or pass the data as .csv or .jsonl.") from None


def _read_delimited(path: Path, separator: str | None, encoding: str | None, column_names: list[str] | None,
                    report: LoadReport | None) -> pd.DataFrame:
    text = read_text(path, encoding, report)
    chosen = separator or SEPARATORS.get(suffix(path), ",")
    if not column_names:
        chosen = sniffed_separator(text.partition("\n")[0], chosen, separator, path, report)
    return _parse_delimited(text, path, chosen, column_names)


def sniffed_separator(header: str, chosen: str, given: str | None, path: Path, report: LoadReport | None) -> str:
    """`chosen`, unless the header does not split on it but does on another common separator:
    then that one, with a note in `report`; a DataError when the user gave `chosen` (`given`)."""
    if chosen in header:
        return chosen
    candidate = next((c for c in (",", "\t", ";", "|") if c != chosen and c in header), None)
    if candidate is None:
        return chosen
    if given is not None:
        raise DataError(f"Only one column found; the header {header[:60]!r} looks "
                        f"{_SEPARATOR_NAMES[candidate]}-separated", file=path, line=1,
                        hint=f"This file must be {_SEPARATOR_NAMES[given]}-separated; rewrite it so.")
    if report is not None:
        report.warn(f"{path}: the header splits on {_SEPARATOR_NAMES[candidate]}s, not "
                    f"{_SEPARATOR_NAMES[chosen]}s; read as {_SEPARATOR_NAMES[candidate]}-separated.")
    return candidate


def _parse_delimited(text: str, path: Path, separator: str, column_names: list[str] | None) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # pandas would read a row with more fields than the header by shifting every column
            # (the first becomes an index) or by dropping the extra fields: both lose data silently.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.StringIO(text),
                sep=separator,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                header=None if column_names else 0,
                names=column_names,
                index_col=False,
                engine="python" if len(separator) > 1 else "c",
                quoting=3 if separator == "::" else 0,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as error:
        raise DataError(
            f"Rows do not split into the header's columns: {error}",
            file=path,
            line=_first_long_row(text, separator),
            hint=f"The file is read as {_SEPARATOR_NAMES.get(separator, separator)}-separated; "
            "check the separator and quoting of the named line.",
        ) from None


def _first_long_row(text: str, separator: str) -> int | None:
    """The line of the first row with more fields than the header (None if csv cannot tell)."""
    if len(separator) != 1:
        return None
    rows = csv.reader(io.StringIO(text), delimiter=separator)
    width = len(next(rows, []))
    return next((rows.line_num for row in rows if len(row) > width), None)


def read_json_lines(path: Path | str, encoding: str | None = None, report: LoadReport | None = None) -> list[dict]:
    """One JSON object per line (plain or .gz); blank lines are ignored.

    Amazon's 2014 metadata files hold Python dict literals rather than JSON, so a line that
    is not JSON is read as a Python literal (never evaluated as code).
    """
    path = Path(path)
    records = []
    for number, line in enumerate(read_text(path, encoding, report).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            try:
                record = ast.literal_eval(line)
            except (ValueError, SyntaxError):
                raise DataError(
                    "Not a JSON object",
                    file=path,
                    line=number,
                    hint="Each line must hold one JSON object (JSON lines format).",
                ) from None
        if not isinstance(record, dict):
            raise DataError("Not a JSON object", file=path, line=number)
        records.append(record)
    if not records:
        raise DataError("The file has no JSON records", file=path)
    return records
