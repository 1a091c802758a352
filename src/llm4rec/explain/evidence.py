"""Evidence for a recommendation, taken from the model itself and the user's own history.

Which history items brought an item up is measured by leave-one-out: the drop in the item's
score when one history item is removed. It is one rule for every model and faithful by
construction; for EASE and ItemKNN it equals the item-item weight exactly (their scores are
sums over the history), and for the sequential models it captures order and attention.

Only history items the user liked are cited as reasons: where the data has ratings, an item rated
below LIKED_SHARE of the scale's top (3 of 5) or below the user's own mean is not "liked", however
much it raised the score (`liked_mask`). Without ratings (implicit data: a click is a click)
every interaction counts as liked. A disliked item whose presence lowered the item's score at
least as much as the weakest cited reason raised it is cited as what the item is unlike ("unlike
X, which you rated low"): the model moved away from it, and the user did not like it. (Any
negative drop would do on faithfulness alone, but with EASE some disliked item lowers almost
every score a little: 493 of 500 sentences on ml-100k would carry the clause; this rule, 101 of
1,000.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.models.base import Recommender
from llm4rec.profiles.ratings import liked_mask, rating_scale_top
from llm4rec.profiles.summary import keywords, readable_profile, tokens
from llm4rec.profiles.vectors import recency_weights
from llm4rec.text.templates import ItemTextTemplate

MAX_CITED = 3
MAX_AVOIDED = 1
MAX_KEYWORDS = 3
PROFILE_HALF_LIFE = 20.0  # items; as in the readable profile
BATCH = 256  # leave-one-out histories scored at once


@dataclass
class Evidence:
    """Why one item was recommended to one user."""

    item: int
    score: float
    history_items: list[int]  # item indices of the history, largest contribution first
    contributions: list[float]  # score drop when each is removed
    avoided_items: list[int] = field(default_factory=list)  # disliked history items that lowered the score
    attributes: list[str] = field(default_factory=list)  # the user's top categories the item has
    keywords: list[str] = field(default_factory=list)  # the user's characteristic words in the item's text
    interactions: int = 0  # how many interactions the item has
    popularity_percentile: float = 0.0  # share of items with fewer interactions


def leave_one_out(model: Recommender, history: np.ndarray, items: np.ndarray) -> np.ndarray:
    """(len(items), len(history)): score of each item minus its score without each history item."""
    history = np.asarray(history, dtype=np.int64)
    full = model.score([history])[0][items]
    drops = np.empty((len(items), len(history)), dtype=np.float32)
    for start in range(0, len(history), BATCH):
        positions = range(start, min(start + BATCH, len(history)))
        without = model.score([np.delete(history, j) for j in positions])[:, items]
        drops[:, start : start + len(positions)] = (full[None, :] - without).T
    return drops


def user_categories(history: np.ndarray, interactions: Interactions, catalog: ItemCatalog | None) -> dict[str, list]:
    """The user's top values per category column (genres, category, brand), from the profile."""
    profile = readable_profile(history, interactions.items, catalog)
    return {key[4:]: [entry["value"] for entry in value] for key, value in profile.items() if key.startswith("top_")}


def item_attributes(item: int, categories: dict[str, list], interactions: Interactions,
                    catalog: ItemCatalog | None) -> list[str]:
    """The item's category values that are among the user's top ones."""
    if catalog is None or not categories:
        return []
    row = catalog.aligned(interactions.items).iloc[item]
    matched = []
    for column, favourites in categories.items():
        values = [v.strip() for v in str(row[column]).split("|")] if column in row else []
        matched += [v for v in favourites if v in values]
    return matched


def user_keywords(history: np.ndarray, item_texts: list[str], exclude: set[str]) -> list[str]:
    """The user's characteristic words (recency-weighted TF-IDF of their items' texts),
    without the category values, which the attributes already name."""
    words = keywords([item_texts[i] for i in history], recency_weights(len(history), PROFILE_HALF_LIFE), item_texts,
                     top=20)
    return [w for w in words if w not in exclude]


def explain(model: Recommender, history: np.ndarray, items: np.ndarray, interactions: Interactions,
            catalog: ItemCatalog | None, ratings: np.ndarray | None = None) -> list[Evidence]:
    """Evidence for each of `items` recommended after `history` (oldest first); `ratings`
    (aligned with `history`, NaN where unrated) keep disliked items from being cited.

    Scores come from the history alone (no learned per-user state), so that they and the
    leave-one-out drops describe the same function."""
    history = np.asarray(history, dtype=np.int64)
    liked = liked_mask(ratings, rating_scale_top(interactions)) if ratings is not None else np.ones(len(history), bool)
    items = np.asarray(items, dtype=np.int64)
    scores = model.score([history])[0][items]
    drops = leave_one_out(model, history, items) if len(history) else np.zeros((len(items), 0), np.float32)
    counts = interactions.item_counts()
    categories = user_categories(history, interactions, catalog)
    item_texts = ItemTextTemplate().render(catalog, interactions.items) if catalog is not None else []
    category_words = {w for column in categories for value in catalog.frame[column].dropna().astype(str).unique()
                      for w in tokens(value)} if catalog is not None else set()
    words = user_keywords(history, item_texts, category_words) if item_texts and len(history) else []
    evidence = []
    for row, item in enumerate(items):
        candidates = np.where(liked, drops[row], -np.inf)  # a disliked item is never a reason
        order = np.argsort(-candidates, kind="stable")[:MAX_CITED]
        cited = order[candidates[order] > 0]
        against = np.where(liked, np.inf, drops[row])  # disliked items, most score-lowering first
        avoided = np.argsort(against, kind="stable")[:MAX_AVOIDED]
        weakest = drops[row, cited].min() if len(cited) else np.inf
        avoided = avoided[-against[avoided] >= weakest]
        evidence.append(Evidence(
            item=int(item), score=float(scores[row]),
            history_items=[int(history[j]) for j in cited],
            contributions=[float(drops[row, j]) for j in cited],
            avoided_items=[int(history[j]) for j in avoided],
            attributes=item_attributes(int(item), categories, interactions, catalog),
            keywords=[w for w in words if w in set(tokens(item_texts[item]))][:MAX_KEYWORDS] if words else [],
            interactions=int(counts[item]),
            popularity_percentile=float((counts < counts[item]).mean()),
        ))
    return evidence


def faithful(model: Recommender, history: np.ndarray, evidence: Evidence) -> bool | None:
    """Does removing the cited history items lower the item's score? None if none is cited."""
    if not evidence.history_items:
        return None
    reduced = np.asarray([h for h in history if h not in set(evidence.history_items)], dtype=np.int64)
    before, after = model.score([np.asarray(history, np.int64), reduced])[:, evidence.item]
    return bool(after < before)
