"""One entry point that recognises a data source by its files and calls the right loader."""

from __future__ import annotations

import gzip
from pathlib import Path

from llm4rec.data.amazon import load_amazon
from llm4rec.data.atomic import load_atomic
from llm4rec.data.dataset import Dataset
from llm4rec.data.events import load_events
from llm4rec.data.movielens import load_ml100k, load_movielens_csv, load_movielens_dat
from llm4rec.data.report import LoadReport
from llm4rec.data.split_dir import read_split_dir
from llm4rec.data.splits import SPLITTERS, Split
from llm4rec.errors import ConfigError, DataError

BUILTIN = {"ml-100k": load_ml100k}
FORMATS = "ml-100k, a split directory, a MovieLens folder (ratings.csv or ratings.dat), " \
          "a RecBole .inter file, Amazon reviews (.json/.jsonl[.gz]) or an event log (.csv/.parquet/.jsonl)"


def load_dataset(source: str | Path, catalog: str | Path | None = None,
                 skip_bad_rows: bool = False) -> Dataset:
    """Load any supported raw source; `catalog` is the item file for event logs and Amazon."""
    if str(source) in BUILTIN:
        return BUILTIN[str(source)]()
    path = Path(source)
    if path.is_dir():
        if (path / "ratings.csv").exists():
            return load_movielens_csv(path, skip_bad_rows)
        if (path / "ratings.dat").exists():
            return load_movielens_dat(path, skip_bad_rows=skip_bad_rows)
        inter = sorted(path.glob("*.inter"))
        if inter:
            return load_atomic(inter[0], skip_bad_rows=skip_bad_rows)
    elif path.suffix == ".inter":
        return load_atomic(path, skip_bad_rows=skip_bad_rows)
    elif path.exists() and _is_amazon_reviews(path):
        return load_amazon(path, catalog, skip_bad_rows)
    elif path.exists():
        return load_events(path, catalog, skip_bad_rows=skip_bad_rows)
    raise DataError(f"Cannot tell what data {str(source)!r} is", file=path,
                    hint=f"Pass one of: {FORMATS}.")


def _is_amazon_reviews(path: Path) -> bool:
    if not any(s in (".json", ".jsonl") for s in path.suffixes):
        return False
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            return '"reviewerID"' in handle.readline()
    except (OSError, EOFError):  # a damaged archive: the event-log reader names the problem
        return False


def load_split(source: str | Path, protocol: str = "loo", skip_bad_rows: bool = False,
               catalog: str | Path | None = None) -> tuple[Split, LoadReport]:
    """A Split: read as is from a split directory, or made from any raw source by `protocol`."""
    path = Path(source)
    if path.is_dir() and (path / "train.tsv").exists():
        return read_split_dir(path, skip_bad_rows)
    if protocol not in SPLITTERS:
        raise ConfigError(f"Unknown split protocol {protocol!r}; choose one of {sorted(SPLITTERS)}")
    dataset = load_dataset(source, catalog, skip_bad_rows)
    split = SPLITTERS[protocol](dataset.interactions, dataset.catalog, dataset.name)
    return split, dataset.report
