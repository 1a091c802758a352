"""A readable user profile: top categories, characteristic keywords, typical era and price."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.profiles.vectors import recency_weights

STOPWORDS = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its",
    "of", "on", "or", "the", "to", "with", "this", "that", "was", "were", "title", "year", "genres", "text",
    "de", "la", "le", "el", "i", "ii", "iii",
}
YEAR_IN_TITLE = re.compile(r"\((\d{4})\)")


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if t not in STOPWORDS]


def keywords(history_texts: list[str], weights: np.ndarray, catalogue_texts: list[str], top: int = 8) -> list[str]:
    """Words frequent in the user's items but rare in the catalogue (recency-weighted TF-IDF).

    Hand-written on purpose: a dozen lines, where scikit-learn would be a large dependency
    for this one use.
    """
    document_frequency = Counter(t for text in catalogue_texts for t in set(_tokens(text)))
    n_documents = max(len(catalogue_texts), 1)
    term_weight: Counter = Counter()
    for text, weight in zip(history_texts, weights, strict=True):
        for token in set(_tokens(text)):
            term_weight[token] += weight * np.log(n_documents / (1 + document_frequency[token]))
    return [term for term, _ in term_weight.most_common(top)]


def _weighted_top(values: pd.Series, weights: np.ndarray, top: int) -> list[dict[str, Any]]:
    totals: Counter = Counter()
    for value, weight in zip(values.fillna("").astype(str), weights, strict=True):
        for part in (p.strip() for p in value.split("|")):
            if part:
                totals[part] += weight
    total = sum(totals.values()) or 1.0
    return [{"value": v, "weight": round(w / total, 3)} for v, w in totals.most_common(top)]


def _years(rows: pd.DataFrame) -> np.ndarray:
    if "year" in rows and pd.api.types.is_numeric_dtype(rows["year"]):
        years = rows["year"].to_numpy(dtype=float)
    else:
        column = next((c for c in ("title", "movie_title", "name") if c in rows), None)
        found = rows[column].astype(str).str.extract(YEAR_IN_TITLE)[0] if column else pd.Series(dtype=str)
        years = pd.to_numeric(found, errors="coerce").to_numpy(dtype=float)
    return years[~np.isnan(years)]


def readable_profile(history: np.ndarray, items: IdMap, catalog: ItemCatalog | None, half_life: float = 20.0,
                     item_texts: list[str] | None = None, own_texts: list[str] | None = None,
                     top: int = 5) -> dict[str, Any]:
    """What a person can read about a user from their history (oldest first) and, if given,
    the texts they wrote before the split point."""
    weights = recency_weights(len(history), half_life)
    profile: dict[str, Any] = {"history_length": int(len(history))}
    if catalog is None or not len(history):
        return profile
    rows = catalog.aligned(items).iloc[history]
    profile["recent_items"] = catalog.titles(items.ids[history[-5:]])[::-1]
    for column in catalog.text_columns:
        if rows[column].astype(str).str.contains("|", regex=False).any() or column in ("category", "brand"):
            profile[f"top_{column}"] = _weighted_top(rows[column], weights, top)
    if item_texts is not None:
        profile["keywords"] = keywords([item_texts[i] for i in history], weights, item_texts)
    years = _years(rows)
    if len(years):
        low, median, high = np.percentile(years, [10, 50, 90])
        profile["typical_era"] = {"median_year": int(median), "range_10_90": [int(low), int(high)]}
    if "price" in catalog.numeric_columns:
        prices = rows["price"].to_numpy(dtype=float)
        if (~np.isnan(prices)).any():
            profile["typical_price"] = float(np.nanmedian(prices))
    if own_texts:
        profile["own_words"] = keywords(own_texts, np.ones(len(own_texts)), item_texts or own_texts)
    return profile


def texts_before(user_texts: pd.DataFrame | None, user_id: str, cutoff: float) -> list[str]:
    """The user's own texts (reviews, tags, searches) written strictly before `cutoff`: a
    profile for evaluation must not read anything from the test period."""
    if user_texts is None:
        return []
    mine = user_texts[(user_texts["user_id"].astype(str) == str(user_id))
                      & (pd.to_numeric(user_texts["timestamp"], errors="coerce") < cutoff)]
    return mine["text"].astype(str).tolist()
