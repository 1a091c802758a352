"""A data-quality summary: sizes, sparsity, time range, degrees, duplicates, anomalies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.data.splits import Split


def _date(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%d %H:%M")


def _degrees(counts: np.ndarray) -> dict[str, float]:
    counts = counts[counts > 0]
    if not len(counts):
        return {}
    return {"min": int(counts.min()), "median": float(np.median(counts)), "mean": round(float(counts.mean()), 2),
            "p90": float(np.percentile(counts, 90)), "max": int(counts.max())}


def summarize(interactions: Interactions, catalog: ItemCatalog | None = None) -> dict[str, Any]:
    """Counts, sparsity, time range, degree distributions and anomalies of one table."""
    users, items = interactions.user_counts(), interactions.item_counts()
    active_users, active_items = int((users > 0).sum()), int((items > 0).sum())
    pairs = interactions.user_index.astype(np.int64) * interactions.n_items + interactions.item_index
    triples = np.stack([interactions.user_index, interactions.item_index, interactions.timestamps])
    summary: dict[str, Any] = {
        "interactions": len(interactions),
        "users": active_users,
        "items": active_items,
        "density": round(len(np.unique(pairs)) / max(active_users * active_items, 1), 6),
        "time_range": [_date(interactions.timestamps.min()), _date(interactions.timestamps.max())]
        if len(interactions) else None,
        "user_degree": _degrees(users),
        "item_degree": _degrees(items),
        "repeated_user_item_pairs": int(len(pairs) - len(np.unique(pairs))),
        "duplicated_user_item_timestamp_rows": int(triples.shape[1] - np.unique(triples, axis=1).shape[1]),
    }
    ratings = interactions.ratings[~np.isnan(interactions.ratings)]
    if len(ratings):
        values, counts = np.unique(ratings, return_counts=True)
        summary["ratings"] = {f"{v:g}": int(c) for v, c in zip(values[:20], counts[:20], strict=True)}
    anomalies = {
        "users_with_one_interaction": int((users == 1).sum()),
        "items_with_one_interaction": int((items == 1).sum()),
        "timestamps_at_zero_or_before": int((interactions.timestamps <= 0).sum()),
        "timestamps_in_the_future": int((interactions.timestamps > datetime.now(UTC).timestamp()).sum()),
    }
    if catalog is not None:
        interacted = set(interactions.items.ids[items > 0])
        anomalies["items_missing_from_catalogue"] = sum(i not in catalog for i in interacted)
        anomalies["catalogue_items_never_interacted"] = sum(i not in interacted for i in catalog.frame.index)
        summary["catalogue"] = {"items": len(catalog), "text_columns": catalog.text_columns,
                                "numeric_columns": catalog.numeric_columns}
    summary["anomalies"] = anomalies
    return summary


def summarize_split(split: Split) -> dict[str, Any]:
    """Each part's summary plus checks across parts (cold users/items, time leaks)."""
    train_users = split.train.user_counts() > 0
    train_items = split.train.item_counts() > 0
    out: dict[str, Any] = {part: summarize(getattr(split, part)) for part in ("train", "valid", "test")}
    last_train = np.full(split.train.n_users, np.iinfo(np.int64).min)
    np.maximum.at(last_train, split.train.user_index, split.train.timestamps)
    for part in ("valid", "test"):
        target = getattr(split, part)
        out[part]["cold_users_not_in_train"] = int((~train_users[np.unique(target.user_index)]).sum())
        out[part]["rows_with_items_not_in_train"] = int((~train_items[target.item_index]).sum())
        out[part]["rows_earlier_than_users_last_train_event"] = int(
            (target.timestamps < last_train[target.user_index]).sum())
    if split.catalog is not None:
        out["catalogue"] = {"items": len(split.catalog), "text_columns": split.catalog.text_columns,
                            "numeric_columns": split.catalog.numeric_columns}
    return out
