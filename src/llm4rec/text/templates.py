"""Item text built from catalogue fields by a template recorded with the model."""

from __future__ import annotations

import math

import numpy as np

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap


def _value(value: object) -> str:
    """A field value as text: lists joined by ', ', whole floats without '.0', NaN empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("|", ", ").strip()


class ItemTextTemplate:
    """`format` uses catalogue columns as `{name}`; None means every column, labelled
    ("title: Toy Story. year: 1995. genres: Animation, Comedy"), so an unseen dataset's
    items.tsv works without configuration."""

    def __init__(self, format: str | None = None) -> None:
        self.format = format

    def render(self, catalog: ItemCatalog, items: IdMap) -> list[str]:
        """One text per item index (empty for items the catalogue lacks)."""
        rows = catalog.aligned(items)
        columns = list(rows.columns)
        texts = []
        for values in rows.itertuples(index=False, name=None):
            fields = {c: _value(v) for c, v in zip(columns, values, strict=True)}
            if self.format is None:
                fields = _without_repeats(fields)
                texts.append(". ".join(f"{c}: {v}" for c, v in fields.items() if v))
            else:
                texts.append(self.format.format(**fields) if any(fields.values()) else "")
        return texts


def _without_repeats(fields: dict[str, str]) -> dict[str, str]:
    """Only the combined column when one holds every other value (a `text` made of title,
    category and brand beside those columns), so the encoder does not read the same words twice."""
    present = {c: v for c, v in fields.items() if v}
    for column, value in present.items():
        if len(present) > 1 and all(other in value for c, other in present.items() if c != column):
            return {column: value}
    return fields


def item_embeddings(encoder, catalog: ItemCatalog, items: IdMap, template: ItemTextTemplate) -> np.ndarray:
    """(n_items, d) unit vectors of the rendered item texts; zero rows for items with no text."""
    texts = template.render(catalog, items)
    vectors = encoder.encode(texts)
    vectors[np.array([not t for t in texts], dtype=bool)] = 0.0
    return vectors
