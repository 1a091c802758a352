"""Items added to a live service (`POST /items`), ranked before any retraining.

An item is checked against the bundle's catalogue (its columns; not already there), stored
durably (`FeedbackStore.add_items`), encoded with the bundle's text encoder and placed beside the
catalogue by its text neighbours (`retrieval.text_neighbours`): every model, EASE included,
scores it as the neighbour it reads most like, so it enters recommendations, queries, title
search and `/similar` at once. Items are indexed after the catalogue's (n_items + position).
A retrained bundle holds them in its catalogue; from then on they are ordinary items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.errors import ConflictError
from llm4rec.retrieval.text_neighbours import TextNeighbours
from llm4rec.serving.bundle import Bundle
from llm4rec.serving.feedback_store import NewItem


def check_new_items(bundle: Bundle, items: list[NewItem]) -> None:
    """ConflictError saying why items a client wants to add do not fit the served catalogue."""
    if bundle.catalog is None:
        raise ConflictError("The served bundle has no item catalogue, so a new item has no text to be placed by. "
                            "Train the bundle with an items.tsv to add items live.")
    columns = list(bundle.catalog.frame.columns)
    for item in items:
        if item.item_id in bundle.interactions.items:
            raise ConflictError(f"Item {item.item_id!r} is already in the served catalogue; POST /items adds new "
                                "items only (catalogue items change with a new bundle).")
        unknown = sorted(set(item.fields) - set(columns))
        if unknown:
            raise ConflictError(f"Item {item.item_id!r} has fields {unknown[:10]} that the catalogue lacks; "
                                f"its columns are {columns[:20]}.")
        if not any(isinstance(value, str) and value.strip() for value in item.fields.values()):
            raise ConflictError(f"Item {item.item_id!r} has no text; give at least one text column "
                                f"(e.g. {bundle.catalog.title_column!r}) so it can be placed.")


def catalogue_rows(reference: ItemCatalog, items: list[NewItem]) -> ItemCatalog:
    """The items as rows of `reference`'s columns: numbers typed, the values as given kept as text."""
    index = pd.Index([item.item_id for item in items], name="item_id")
    raw = pd.DataFrame([{name: "" if value is None else str(value) for name, value in item.fields.items()}
                        for item in items], columns=reference.raw.columns, index=index, dtype=object).fillna("")
    frame = pd.DataFrame([item.fields for item in items], columns=reference.frame.columns, index=index)
    for column in reference.numeric_columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return ItemCatalog(frame, raw)


def with_rows(catalog: ItemCatalog, rows: ItemCatalog) -> ItemCatalog:
    """`catalog` followed by `rows` (attached vector sets are not carried)."""
    return ItemCatalog(pd.concat([catalog.frame, rows.frame]), pd.concat([catalog.raw, rows.raw]))


@dataclass(frozen=True)
class LiveItems:
    """The items added live that the bundle does not hold, with their text vectors and placement."""

    ids: IdMap
    catalog: ItemCatalog  # their rows, in the bundle catalogue's columns
    titles: np.ndarray
    text_vectors: np.ndarray  # (n, d) unit rows, by the bundle's text encoder and the default template
    placement: TextNeighbours

    @classmethod
    def build(cls, bundle: Bundle, items: list[NewItem], catalogue_vectors: np.ndarray | None = None
              ) -> LiveItems | None:
        """None when every item is in the bundle already (a retrained one holds them);
        `catalogue_vectors` (the bundle's, if the caller holds them) are read from the cache otherwise."""
        from llm4rec.models.item_features import text_vectors

        items = [item for item in items if item.item_id not in bundle.interactions.items]
        if not items:
            return None
        catalog = catalogue_rows(bundle.catalog, items)
        ids = IdMap(catalog.frame.index)
        vectors = text_vectors(catalog, ids, bundle.text_encoder(), None, "new items")
        catalogue_vectors = bundle.catalogue_vectors() if catalogue_vectors is None else catalogue_vectors
        known = np.flatnonzero(bundle.interactions.item_counts() > 0)
        return cls(ids, catalog, np.asarray(catalog.titles(ids.ids), dtype=object), vectors,
                   TextNeighbours.build(vectors, catalogue_vectors, known))

    def __len__(self) -> int:
        return len(self.ids)


class WithLiveItems:
    """A fitted model that also scores the items added live, after its own (as the service
    ranks them), so the shared evaluation can check the served version on cases that reach them."""

    def __init__(self, model, live: LiveItems) -> None:
        self.model, self.live = model, live

    def score(self, histories, users: np.ndarray | None = None) -> np.ndarray:
        scores = self.model.score(histories, users=users)
        return np.concatenate([scores, self.live.placement.scores(scores)], axis=1)
