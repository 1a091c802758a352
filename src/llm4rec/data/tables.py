"""Read a delimited, Parquet or JSON-lines file into a table of strings, with clear errors."""

from __future__ import annotations

import ast
import gzip
import io
import json
from pathlib import Path

import pandas as pd

from llm4rec.errors import DataError

SEPARATORS = {".csv": ",", ".tsv": "\t", ".inter": "\t", ".item": "\t", ".user": "\t", ".dat": "::"}
_SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe", "::": "'::'"}


def _suffix(path: Path) -> str:
    suffixes = [s for s in path.suffixes if s != ".gz"]
    return suffixes[-1].lower() if suffixes else ""


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The whole file as text (gzip is undone); wrong encodings name the line."""
    path = Path(path)
    if not path.exists():
        raise DataError("File not found", file=path, hint="Check the path and the file name.")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    if not raw.strip():
        raise DataError("The file is empty", file=path, hint="Point to a file that has data rows.")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"The file is not valid {encoding} text (byte {raw[error.start]:#x})",
            file=path,
            line=line,
            hint="Pass the file's encoding, for example encoding='latin-1' (--encoding latin-1).",
        ) from None


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
    encoding: str = "utf-8",
    column_names: list[str] | None = None,
) -> pd.DataFrame:
    """A file as a DataFrame of strings: CSV/TSV/atomic/.dat by separator, Parquet, JSON lines.

    `column_names` is for header-less formats (MovieLens .dat); otherwise the first line is
    the header.
    """
    path = Path(path)
    suffix = _suffix(path)
    if suffix == ".parquet":
        if not path.exists():
            raise DataError("File not found", file=path, hint="Check the path and the file name.")
        frame = pd.read_parquet(path)
    elif suffix in (".jsonl", ".json"):
        frame = pd.DataFrame(read_json_lines(path, encoding))
    else:
        frame = _read_delimited(path, separator or SEPARATORS.get(suffix, ","), encoding, column_names)
    if frame.empty:
        raise DataError("The file has a header but no data rows", file=path)
    return _clean(frame)


def _read_delimited(
    path: Path, separator: str, encoding: str, column_names: list[str] | None
) -> pd.DataFrame:
    text = read_text(path, encoding)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            header=None if column_names else 0,
            names=column_names,
            engine="python" if len(separator) > 1 else "c",
            quoting=3 if separator == "::" else 0,
        )
    except pd.errors.ParserError as error:
        raise DataError(
            f"Rows do not split into the header's columns: {error}",
            file=path,
            hint=f"The file is read as {_SEPARATOR_NAMES.get(separator, separator)}-separated; "
            "check the separator and quoting of the named line.",
        ) from None
    if frame.shape[1] == 1 and not column_names:
        header = str(frame.columns[0])
        for candidate in (",", "\t", ";", "|"):
            if candidate != separator and candidate in header:
                raise DataError(
                    f"Only one column found; the header {header[:60]!r} looks "
                    f"{_SEPARATOR_NAMES[candidate]}-separated",
                    file=path,
                    line=1,
                    hint=f"Pass separator={candidate!r} (or rename the file to match its format).",
                )
    return frame


def read_json_lines(path: Path | str, encoding: str = "utf-8") -> list[dict]:
    """One JSON object per line (plain or .gz); blank lines are ignored.

    Amazon's 2014 metadata files hold Python dict literals rather than JSON, so a line that
    is not JSON is read as a Python literal (never evaluated as code).
    """
    path = Path(path)
    records = []
    for number, line in enumerate(read_text(path, encoding).splitlines(), start=1):
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
