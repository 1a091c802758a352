"""Ranked lists as HTTP answers."""

from __future__ import annotations

from fastapi import Response

from llm4rec.serving.reads import Ranked
from llm4rec.serving.schemas import Recommendations, RecommendedItem


def ranked_answer(ranked: Ranked, cached: bool = False, explanations: list[str] | None = None) -> Response:
    """JSON of a ranked list, serialised once here: returning a Response skips FastAPI's second
    validation of the same data, a third of a cached answer's time. Model and version come from
    the ranked list itself, so one answer never mixes two versions during a swap."""
    explanations = explanations or [None] * len(ranked.item_ids)
    items = [RecommendedItem(item_id=i, title=t, score=s, explanation=e)
             for i, t, s, e in zip(ranked.item_ids, ranked.titles, ranked.scores, explanations, strict=True)]
    body = Recommendations(items=items, model=ranked.model, model_version=ranked.version, cached=cached,
                           notes=list(ranked.notes), constraints=ranked.constraints)
    return Response(body.model_dump_json(), media_type="application/json")
