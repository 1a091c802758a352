"""RecBole atomic files: `.inter`, `.item`, `.user` with typed headers such as `item_id:token`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import Dataset, MissingItemPolicy, build_dataset, check_items_in_catalog
from llm4rec.data.parsing import parse_interactions
from llm4rec.data.report import LoadReport
from llm4rec.data.tables import read_table
from llm4rec.errors import DataError

FIELD_TYPES = ("token", "token_seq", "float", "float_seq")


def read_atomic(path: Path | str, encoding: str | None = None, report: LoadReport | None = None) -> pd.DataFrame:
    """An atomic file with its `name:type` header reduced to plain names (types checked);
    `encoding` None detects it (see `read_text`)."""
    frame = read_table(path, separator="\t", encoding=encoding, report=report)
    names = []
    for header in frame.columns:
        name, _, kind = str(header).partition(":")
        if kind not in FIELD_TYPES:
            raise DataError(
                f"Header field {header!r} has no RecBole type",
                file=path,
                line=1,
                column=str(header),
                hint=f"Atomic headers read name:type with type one of {list(FIELD_TYPES)}.",
            )
        names.append(name)
    frame.columns = names
    return frame


def load_atomic(
    inter_path: Path | str,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
    on_missing_item: MissingItemPolicy = "error",
) -> Dataset:
    """A `.inter` file, with the `.item` and `.user` files of the same stem beside it if any."""
    inter_path = Path(inter_path)
    report = LoadReport(skip_bad_rows)
    raw = read_atomic(inter_path, encoding, report)
    frame = parse_interactions(raw, inter_path, report)
    catalog = users = None
    item_path, user_path = inter_path.with_suffix(".item"), inter_path.with_suffix(".user")
    if item_path.exists():
        catalog = ItemCatalog.from_raw(read_atomic(item_path, encoding, report), item_path, report)
        frame = check_items_in_catalog(frame, catalog, inter_path, report, on_missing_item)
    if user_path.exists():
        users = read_atomic(user_path, encoding, report).set_index("user_id")
    return build_dataset(inter_path.stem, frame, report, catalog, users=users)
