"""A readable user profile: top categories, characteristic keywords, typical era and price."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.data.privacy import scrub_pii
from llm4rec.data.splits import Split
from llm4rec.profiles.vectors import recency_weights
from llm4rec.text.segment import CJK, chinese_words
from llm4rec.text.vocabulary import translate

STOPWORDS = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its",
    "of", "on", "or", "the", "to", "with", "this", "that", "was", "were", "title", "year", "genres", "text",
    "de", "la", "le", "el", "i", "ii", "iii",
}
YEAR_IN_TITLE = re.compile(r"\((\d{4})\)")
RECENT_ITEMS = 10  # the window compared with the whole history for a shift of taste
SHIFT_MIN = 0.1  # share gained in that window to count as a shift
SUMMARY_TOP = 3  # the themes a summary says the user mostly chooses
SUMMARY_OTHERS = 2  # the themes it names as rising lately, and as less liked


CHINESE_STOPWORDS = {"的", "了", "和", "是", "在", "与", "及", "等", "将", "对", "为", "中", "也", "被", "把", "或"}


def tokens(text: str) -> list[str]:
    """Lower-case words of three or more letters, stopwords left out; Chinese is segmented into
    words with jieba (words of two or more characters)."""
    latin = [t for t in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if t not in STOPWORDS]
    if not CJK.search(text):
        return latin
    chinese = [w for w in chinese_words(text) if len(w) >= 2 and all(CJK.fullmatch(c) for c in w)
               and w not in CHINESE_STOPWORDS]
    return latin + chinese


def keywords(history_texts: list[str], weights: np.ndarray, catalogue_texts: list[str], top: int = 8) -> list[str]:
    """Words frequent in the user's items but rare in the catalogue (recency-weighted TF-IDF).

    Hand-written on purpose: a dozen lines, where scikit-learn would be a large dependency
    for this one use.
    """
    document_frequency = Counter(t for text in catalogue_texts for t in set(tokens(text)))
    n_documents = max(len(catalogue_texts), 1)
    term_weight: Counter = Counter()
    for text, weight in zip(history_texts, weights, strict=True):
        for token in set(tokens(text)):
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


def _disliked_themes(values: pd.Series, liked: np.ndarray, top: int) -> list[dict[str, Any]]:
    """Values more common among the items the user disliked than among those they liked."""
    shares_liked = {e["value"]: e["weight"] for e in _weighted_top(values[liked], np.ones(int(liked.sum())), 100)}
    disliked = _weighted_top(values[~liked], np.ones(int((~liked).sum())), top)
    return [{"value": e["value"], "weight": e["weight"]} for e in disliked
            if e["weight"] > shares_liked.get(e["value"], 0.0) + SHIFT_MIN]


def _recent_shift(values: pd.Series, top: int, recent: int = RECENT_ITEMS) -> list[dict[str, Any]]:
    """Values whose share among the last `recent` items exceeds their share over the whole
    history by at least SHIFT_MIN: where the user's taste has been moving lately."""
    if len(values) < 2 * recent:
        return []
    overall = {e["value"]: e["weight"] for e in _weighted_top(values, np.ones(len(values)), len(values))}
    lately = _weighted_top(values.iloc[-recent:], np.ones(recent), top)
    rising = [{"value": e["value"], "from": overall.get(e["value"], 0.0), "to": e["weight"]} for e in lately
              if e["weight"] - overall.get(e["value"], 0.0) >= SHIFT_MIN]
    return sorted(rising, key=lambda e: e["to"] - e["from"], reverse=True)


def describe(profile: dict[str, Any], language: str = "en") -> str:
    """The profile as one or two plain sentences (English or Chinese)."""
    parts = []
    for key, entries in profile.items():
        if key.startswith("top_") and entries:
            tops = [f"{translate(e['value'], language)} ({round(100 * e['weight'])} %)" for e in entries[:SUMMARY_TOP]]
            parts.append(("主要喜欢 " if language == "zh" else "Mostly ") + ", ".join(tops))
        if key.startswith("recent_shift_") and entries:
            rising = ", ".join(translate(e["value"], language) for e in entries[:SUMMARY_OTHERS])
            parts.append(f"最近更多 {rising}" if language == "zh" else f"lately more {rising}")
        if key.startswith("disliked_") and entries:
            avoided = ", ".join(translate(e["value"], language) for e in entries[:SUMMARY_OTHERS])
            parts.append(f"不太喜欢 {avoided}" if language == "zh" else f"less keen on {avoided}")
    era = profile.get("typical_era")
    if era:
        low, high = era["range_10_90"]
        years = f"{low}–{high}" if low != high else str(low)
        parts.append(f"年代多在 {years}（中位 {era['median_year']}）" if language == "zh"
                     else f"mostly from {years} (median {era['median_year']})")
    if "typical_price" in profile:
        parts.append(f"典型价格 {profile['typical_price']:.2f}" if language == "zh"
                     else f"typical price {profile['typical_price']:.2f}")
    if profile.get("keywords"):
        words = ", ".join(profile["keywords"][:5])
        parts.append(f"关键词：{words}" if language == "zh" else f"keywords: {words}")
    if not parts:
        return "暂无足够历史。" if language == "zh" else "Not enough history yet to say."
    return ("；".join(parts) + "。") if language == "zh" else "; ".join(parts) + "."


def item_years(rows: pd.DataFrame) -> np.ndarray:
    """Each row's year: a numeric `year` column, else "(1995)" in its title; NaN when neither."""
    if "year" in rows and pd.api.types.is_numeric_dtype(rows["year"]):
        return rows["year"].to_numpy(dtype=float)
    column = next((c for c in ("title", "movie_title", "name") if c in rows), None)
    if column is None:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[column].astype(str).str.extract(YEAR_IN_TITLE)[0], errors="coerce").to_numpy(float)


def readable_profile(history: np.ndarray, items: IdMap, catalog: ItemCatalog | None, half_life: float = 20.0,
                     item_texts: list[str] | None = None, own_texts: list[str] | None = None,
                     top: int = 5, liked: np.ndarray | None = None) -> dict[str, Any]:
    """What a person can read about a user from their history (oldest first) and, if given,
    the texts they wrote before the split point; with `liked` (a mask over the history, see
    profiles.ratings) also the themes they disliked."""
    weights = recency_weights(len(history), half_life)
    profile: dict[str, Any] = {"history_length": int(len(history))}
    if catalog is None or not len(history):
        return profile
    rows = catalog.aligned(items).iloc[history]
    profile["recent_items"] = catalog.titles(items.ids[history[-5:]])[::-1]
    for column in catalog.text_columns:
        if rows[column].astype(str).str.contains("|", regex=False).any() or column in ("category", "brand"):
            profile[f"top_{column}"] = _weighted_top(rows[column], weights, top)
            shift = _recent_shift(rows[column], top)
            if shift:
                profile[f"recent_shift_{column}"] = shift
            if liked is not None and (~liked).any():
                named = {e["value"] for e in profile[f"top_{column}"][:SUMMARY_TOP]}
                # one of the themes the summary says the user mostly chooses is not also "less keen on"
                disliked = [e for e in _disliked_themes(rows[column], liked, top) if e["value"] not in named]
                if disliked:
                    profile[f"disliked_{column}"] = disliked
    if item_texts is not None:
        profile["keywords"] = keywords([item_texts[i] for i in history], weights, item_texts)
    years = item_years(rows)
    years = years[~np.isnan(years)]
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
    """The user's own texts (reviews, tags, searches) written strictly before `cutoff`, with
    e-mail addresses, URLs, card and phone numbers scrubbed: a profile for evaluation must
    not read anything from the test period, nor keep anyone's contact details."""
    if user_texts is None:
        return []
    mine = user_texts[(user_texts["user_id"].astype(str) == str(user_id))
                      & (pd.to_numeric(user_texts["timestamp"], errors="coerce") < cutoff)]
    return [scrub_pii(text) for text in mine["text"].astype(str)]


def profile_at_split_point(split: Split, user: str, user_texts: pd.DataFrame | None) -> dict:
    """The readable profile from train only; own texts only from before the user's first
    valid/test event."""
    from llm4rec.text.templates import ItemTextTemplate

    u = split.train.users.index(user, "user")
    history = split.train.histories()[u]
    later = np.concatenate([part.timestamps[part.user_index == u] for part in (split.valid, split.test)])
    cutoff = float(later.min()) if len(later) else float("inf")
    item_texts = ItemTextTemplate().render(split.catalog, split.train.items) if split.catalog is not None else None
    summary = readable_profile(history, split.train.items, split.catalog, item_texts=item_texts,
                               own_texts=texts_before(user_texts, user, cutoff))
    return {"user_id": user, "split_point": cutoff} | summary
