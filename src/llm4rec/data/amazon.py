"""Amazon review JSON lines (McAuley lab format), plain or gzipped, with optional metadata."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import Dataset, MissingItemPolicy, build_dataset, check_items_in_catalog
from llm4rec.data.parsing import parse_interactions
from llm4rec.data.report import LoadReport
from llm4rec.data.tables import read_json_lines, read_table

REVIEW_COLUMNS = {
    "user_id": "reviewerID",
    "item_id": "asin",
    "timestamp": "unixReviewTime",
    "rating": "overall",
}
META_TEXT = ("title", "description", "brand")


def _categories(value: object) -> str:
    """Amazon's nested category lists flattened to unique names joined by `|`."""
    names: list[str] = []
    stack = [value]
    while stack:
        current = stack.pop(0)
        if isinstance(current, list | tuple):
            stack[:0] = list(current)
        elif current and str(current) not in names:
            names.append(str(current))
    return "|".join(names)


def read_amazon_metadata(path: Path | str, report: LoadReport) -> ItemCatalog:
    """Metadata lines (asin, title, description, categories, brand, price) as a catalogue."""
    records = read_json_lines(path, report=report)
    frame = pd.DataFrame(
        {
            "item_id": [r.get("asin", "") for r in records],
            **{name: [r.get(name, "") for r in records] for name in META_TEXT},
            "categories": [_categories(r.get("categories", [])) for r in records],
            "price": [r.get("price", "") for r in records],
        }
    )
    frame = frame.astype(object).where(frame.notna(), "").map(str)
    return ItemCatalog.from_raw(frame, path, report, first_line=1)


def load_amazon(
    reviews: Path | str,
    metadata: Path | str | None = None,
    skip_bad_rows: bool = False,
    on_missing_item: MissingItemPolicy = "error",
) -> Dataset:
    """Reviews become interactions (rating = `overall`) and user text (summary + review)."""
    reviews = Path(reviews)
    report = LoadReport(skip_bad_rows)
    raw = read_table(reviews, report=report)
    frame = parse_interactions(raw, reviews, report, REVIEW_COLUMNS, first_line=1)
    catalog = None
    if metadata is not None:
        catalog = read_amazon_metadata(metadata, report)
        frame = check_items_in_catalog(frame, catalog, reviews, report, on_missing_item)
    parts = [raw[column] for column in ("summary", "reviewText") if column in raw]
    review_text = [". ".join(part for part in row if part) for row in zip(*parts, strict=True)]
    texts = frame[["user_id", "item_id", "timestamp"]].assign(
        text=[review_text[line - 1] for line in frame["_line"]] if parts else ""
    )
    return build_dataset(reviews.name.split(".")[0], frame, report, catalog, user_texts=texts)
