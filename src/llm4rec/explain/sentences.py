"""A sentence built only from an item's evidence, in English or Chinese, and the JSON form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.explain.evidence import Evidence, explain
from llm4rec.models.base import Recommender
from llm4rec.profiles.ratings import history_ratings
from llm4rec.text.vocabulary import translate

LANGUAGES = ("en", "zh")
PHRASES = {
    "en": {"title": "{}", "liked": "Because you liked {}", "fallback": "It fits your overall taste",
           "also": "also {}", "about": "about {}", "popular": "widely liked (more popular than {} % of items)",
           "niche": "a lesser-known pick", "lead": ": ", "separator": ", ", "end": ".",
           "unlike": ", and unlike {}, which you rated low",
           "new": "New in the catalogue, and its description reads most like {}, which fits your taste."},
    "zh": {"title": "《{}》", "liked": "因为你喜欢{}", "fallback": "符合你的整体口味", "also": "同样属于{}",
           "about": "关于{}", "popular": "很受欢迎（比{}%的条目更热门）", "niche": "一个不太为人所知的选择",
           "lead": "：", "separator": "，", "end": "。", "unlike": "，而且不同于你评分较低的{}",
           "new": "新上架，内容与{}最接近，而{}符合你的口味。"},
}
HEAD_PERCENTILE = 0.9  # items more popular than 90 % of the catalogue are "widely liked"
TAIL_PERCENTILE = 0.5  # items in the less popular half are "lesser-known"


def article_first(title: str) -> str:
    """'Rock, The' -> 'The Rock' (MovieLens moves leading articles to the end)."""
    match = re.fullmatch(r"(.+), (The|A|An|Les|La|Le|Il|Das|Der|Die)", title.strip())
    return f"{match.group(2)} {match.group(1)}" if match else title.strip()


def _titles(ids: list[str], catalog: ItemCatalog | None) -> list[str]:
    """Display titles, with the year when the catalogue has one: "Star Wars (1977)"."""
    if catalog is None:
        return ids
    titles = [article_first(t) for t in catalog.titles(ids)]
    if "year" not in catalog.numeric_columns:
        return titles
    years = catalog.frame["year"].reindex([str(i) for i in ids])
    return [f"{t} ({int(y)})" if pd.notna(y) and f"({int(y)})" not in t else t
            for t, y in zip(titles, years, strict=True)]


def _join(parts: list[str], language: str) -> str:
    if language == "zh":
        return "、".join(parts)
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def sentence(evidence: Evidence, items: IdMap, catalog: ItemCatalog | None, language: str = "en") -> str:
    """E.g. "Because you liked Star Wars and Return of the Jedi: also Sci-Fi and Action, widely
    liked (more popular than 97 % of items)." Every title and category named is evidence."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}; got {language!r}")
    words = PHRASES[language]
    titles = [words["title"].format(t) for t in _titles([items.ids[i] for i in evidence.history_items], catalog)]
    reason = words["liked"].format(_join(titles, language)) if titles else words["fallback"]
    avoided = [words["title"].format(t) for t in _titles([items.ids[i] for i in evidence.avoided_items], catalog)]
    if avoided:
        reason += words["unlike"].format(_join(avoided, language))
    attributes = [translate(a, language) for a in evidence.attributes]  # known genres in the reader's language
    parts = [words["also"].format(_join(attributes, language))] if attributes else []
    if evidence.keywords:
        parts.append(words["about"].format(_join(evidence.keywords, language)))
    if evidence.popularity_percentile >= HEAD_PERCENTILE:
        # floor: never "more popular than 100 %"
        parts.append(words["popular"].format(int(100 * evidence.popularity_percentile)))
    elif evidence.popularity_percentile < TAIL_PERCENTILE:
        parts.append(words["niche"])
    return reason + (words["lead"] + words["separator"].join(parts) if parts else "") + words["end"]


def new_item_entry(item_id: str, title: str, score: float, neighbour_id: str, catalog: ItemCatalog,
                   language: str = "en") -> dict[str, Any]:
    """The entry of an item added live (`POST /items`): the model never met it, so its only
    evidence is the catalogue item its text is placed beside (see retrieval.text_neighbours)."""
    words = PHRASES[language]
    neighbour = words["title"].format(_titles([neighbour_id], catalog)[0])
    return {"item_id": item_id, "title": title, "score": round(score, 6),
            "evidence": {"history_items": [], "avoided_items": [], "attributes": [], "text_neighbours": [neighbour_id]},
            "explanation": words["new"].format(*[neighbour] * words["new"].count("{}"))}


def as_json(evidence: Evidence, items: IdMap, catalog: ItemCatalog | None, explanation: str) -> dict[str, Any]:
    """One entry of `llm4rec explain --json`'s "recommendations" list."""
    item_id = str(items.ids[evidence.item])
    return {
        "item_id": item_id,
        "title": catalog.titles([item_id])[0] if catalog is not None else item_id,
        "score": round(evidence.score, 6),
        "evidence": {
            "history_items": [str(items.ids[i]) for i in evidence.history_items],
            "avoided_items": [str(items.ids[i]) for i in evidence.avoided_items],
            "attributes": evidence.attributes + evidence.keywords,
            "popularity": {"interactions": evidence.interactions,
                           "percentile": round(evidence.popularity_percentile, 4)},
        },
        "explanation": explanation,
    }


def explain_recommendations(model: Recommender, interactions: Interactions, catalog: ItemCatalog | None,
                            user_id: str, history: np.ndarray, items: np.ndarray, language: str = "en",
                            wording: Callable[[Evidence, str], str] | None = None) -> dict[str, Any]:
    """`{"user_id", "recommendations": [{item_id, title, score, evidence, explanation}]}` for
    `items` recommended after `history`; the user's ratings in `interactions` keep items they
    disliked from being cited as liked; `wording` (see explain.wording) may reword each
    template sentence."""
    entries = []
    ratings = history_ratings(interactions, user_id, history)
    for evidence in explain(model, history, items, interactions, catalog, ratings):
        text = sentence(evidence, interactions.items, catalog, language)
        if wording is not None:
            text = wording(evidence, text)
        entries.append(as_json(evidence, interactions.items, catalog, text))
    return {"user_id": str(user_id), "recommendations": entries}
