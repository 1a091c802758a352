"""GET /recommend/{user_id} for a known user, POST /recommend for a visitor's items or query."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from llm4rec.serving.deps import CanRead, EngineDep
from llm4rec.serving.routes.answers import ranked_answer
from llm4rec.serving.schemas import MAX_K, Recommendations, RecommendRequest, problems

router = APIRouter(tags=["recommendations"])
K = Annotated[int, Query(ge=1, le=MAX_K, description="How many items")]
Explain = Annotated[bool, Query(description="Add an explanation from the user's history to each item")]


@router.get("/recommend/{user_id}", response_model=Recommendations, responses=problems(401, 403, 404, 422, 429))
async def recommend_user(user_id: str, engine: EngineDep, request: Request, _: CanRead, k: K = 10,
                         explain: Explain = False) -> Response:
    """Top k for a known user from their latest history (feedback included)."""
    # A cache hit is answered on the event loop; computing goes to the thread pool.
    ranked, cached = engine.cached(user_id, k), True
    if ranked is None:
        ranked, cached = await run_in_threadpool(engine.recommend_user, user_id, k)
    if cached:
        request.app.state.metrics.cache_hits.inc()
    explanations = None
    if explain:
        history = engine.user_history(user_id)
        explanations = await run_in_threadpool(engine.explanations, history, ranked.item_ids)
    return ranked_answer(ranked, cached, explanations)


@router.post("/recommend", response_model=Recommendations, responses=problems(400, 401, 403, 404, 413, 422, 429))
def recommend_items(body: RecommendRequest, engine: EngineDep, _: CanRead) -> Response:
    """Top k for a visitor who liked `items` and/or typed `query`."""
    ranked = engine.recommend_items(body.items, body.query, body.k, body.query_weight)
    explanations = None
    if body.explain:
        explanations = engine.explanations(engine.served.item_index(body.items), ranked.item_ids)
    return ranked_answer(ranked, explanations=explanations)
