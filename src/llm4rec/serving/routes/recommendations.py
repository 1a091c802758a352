"""GET /recommend/{user_id} for a known user, POST /recommend for a visitor's items or query."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from llm4rec.serving.deps import CanRead, EngineDep, LanguageDep, ServedDep
from llm4rec.serving.reads import MAX_K, ServedModel
from llm4rec.serving.routes.answers import ranked_answer
from llm4rec.serving.schemas import Recommendations, RecommendRequest, problems

router = APIRouter(tags=["recommendations"])
K = Annotated[int, Query(ge=1, le=MAX_K, description="How many items")]
Explain = Annotated[bool, Query(description="Add an explanation from the user's history to each item")]


@router.get("/recommend/{user_id}", response_model=Recommendations, responses=problems(401, 403, 404, 422, 429))
async def recommend_user(user_id: str, engine: EngineDep, served: ServedDep, request: Request, _: CanRead,
                         language: LanguageDep, k: K = 10, explain: Explain = False) -> Response:
    """Top k for a known user from their latest history (feedback included)."""
    # A cache hit is answered on the event loop; computing goes to the thread pool.
    ranked, cached = engine.cached(user_id, k), True
    if ranked is None:
        ranked, cached = await run_in_threadpool(engine.recommend_user, user_id, k)
    if cached:
        request.app.state.metrics.cache_hits.inc()
    explanations = None
    if explain:
        explanations = await run_in_threadpool(sentences, served, user_id, served.user_history(user_id),
                                               ranked.item_ids, language)
    return ranked_answer(ranked, cached, explanations)


@router.post("/recommend", response_model=Recommendations, responses=problems(400, 401, 403, 404, 413, 422, 429))
def recommend_items(body: RecommendRequest, served: ServedDep, _: CanRead, language: LanguageDep) -> Response:
    """Top k for a visitor who liked `items` and/or typed `query`."""
    history, seen_live = served.liked_index(body.items)  # items added live count as seen, not as history
    if body.query is None:
        ranked = served.recommend_items(body.items, body.k)
    else:
        ranked = served.recommend_query(body.query, body.k, history, query_weight=body.query_weight,
                                        seen_live=seen_live)
    explanations = None
    if body.explain:
        explanations = sentences(served, "visitor", history, ranked.item_ids, language)
    return ranked_answer(ranked, explanations=explanations)


def sentences(served: ServedModel, user_id: str, history: np.ndarray, item_ids: list[str],
              language: str = "en") -> list[str]:
    """The explanation sentence of each item, in `language`."""
    return [entry["explanation"] for entry in served.explain(user_id, history, item_ids, language)["recommendations"]]
