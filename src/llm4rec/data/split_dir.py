"""The split-directory layout: train.tsv, valid.tsv, test.tsv and an optional items.tsv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import check_items_in_catalog
from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.data.parsing import parse_interactions, report_duplicates
from llm4rec.data.report import LoadReport
from llm4rec.data.splits import Split
from llm4rec.data.tables import read_table
from llm4rec.errors import DataError

PARTS = ("train", "valid", "test")
COLUMNS = ["user_id", "item_id", "rating", "timestamp"]


def read_split_dir(folder: Path | str, skip_bad_rows: bool = False) -> tuple[Split, LoadReport]:
    """A split directory as a Split over shared id maps (union of all three parts).

    An optional item_vectors.npz (arrays `item_id`, `vectors`) beside items.tsv adds
    precomputed item vectors (image embeddings, say) to the catalogue.

    items.tsv is side information here: interactions with items it lacks are kept (the split
    is the ground truth of the evaluation) and the report says how many there are.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("Split directory not found", file=folder,
                        hint="Pass a folder holding train.tsv, valid.tsv and test.tsv.")
    report = LoadReport(skip_bad_rows)
    frames = {}
    for part in PARTS:
        path = folder / f"{part}.tsv"
        if not path.exists():
            raise DataError(f"The split directory has no {part}.tsv", file=folder,
                            hint="A split directory holds train.tsv, valid.tsv and test.tsv.")
        frames[part] = parse_interactions(read_table(path, "\t", report=report), path, report)
        report_duplicates(frames[part], report, path)
    catalog = None
    if (folder / "items.tsv").exists():
        items_path = folder / "items.tsv"
        catalog = ItemCatalog.from_raw(read_table(items_path, "\t", report=report), items_path, report)
        everything = pd.concat(frames.values(), ignore_index=True)
        check_items_in_catalog(everything, catalog, folder, report, on_missing="keep")
    vectors = folder / "item_vectors.npz"
    if vectors.exists() and catalog is not None:
        with np.load(vectors, allow_pickle=False) as arrays:
            catalog.add_vectors("item_vectors", arrays["item_id"].astype(str), arrays["vectors"])
    users = IdMap.from_values(*(f["user_id"] for f in frames.values()))
    items = IdMap.from_values(*(f["item_id"] for f in frames.values()))
    train, valid, test = (Interactions.from_frame(frames[p], users, items) for p in PARTS)
    protocol = f"split directory {folder}"
    return Split(train, valid, test, catalog, protocol, folder.name), report


def _format_ratings(ratings: np.ndarray) -> list[str]:
    """Whole numbers without a decimal point (as ml-100k-loo writes them), others as floats."""
    if np.isnan(ratings).all():
        return ["1"] * len(ratings)
    if np.all(np.mod(ratings[~np.isnan(ratings)], 1) == 0):
        return [str(int(r)) if not np.isnan(r) else "" for r in ratings]
    return ["" if np.isnan(r) else repr(float(r)) for r in ratings]


def write_split_dir(split: Split, folder: Path | str) -> Path:
    """Write a Split in the layout (rows by user, then time order); items.tsv if a catalogue."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for part in PARTS:
        interactions: Interactions = getattr(split, part)
        order = interactions.time_order()
        frame = pd.DataFrame(
            {
                "user_id": interactions.users.ids[interactions.user_index[order]],
                "item_id": interactions.items.ids[interactions.item_index[order]],
                "rating": _format_ratings(interactions.ratings[order]),
                "timestamp": interactions.timestamps[order],
            }
        )
        frame.to_csv(folder / f"{part}.tsv", sep="\t", index=False, lineterminator="\n")
    if split.catalog is not None:
        split.catalog.raw.reset_index().to_csv(folder / "items.tsv", sep="\t", index=False,
                                                 lineterminator="\n")
    return folder
