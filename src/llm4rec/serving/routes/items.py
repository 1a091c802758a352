"""GET /similar/{item_id}, GET /items (title search, for picking liked items) and POST /items
(new items, ranked at once: see serving.live_items)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from llm4rec.serving.deps import CanRead, CanWrite, EngineDep, ServedDep
from llm4rec.serving.feedback_store import NewItem
from llm4rec.serving.routes.answers import ranked_answer
from llm4rec.serving.routes.recommendations import K
from llm4rec.serving.schemas import ItemsReceipt, NewItemsBatch, Recommendations, RecommendedItem, problems

router = APIRouter(tags=["items"])


@router.get("/similar/{item_id}", response_model=Recommendations, responses=problems(401, 403, 404, 422, 429, 501))
def similar(item_id: str, served: ServedDep, _: CanRead, k: K = 10) -> Response:
    """Items most like one item."""
    return ranked_answer(served.similar(item_id, k))


@router.get("/items", responses=problems(401, 403, 422, 429))
def search_items(served: ServedDep, _: CanRead, q: Annotated[str, Query(min_length=1, max_length=200)],
                 limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[RecommendedItem]:
    """Items whose title contains `q` (case-insensitive)."""
    return [RecommendedItem(**hit) for hit in served.search_titles(q, limit)]


@router.post("/items", responses=problems(400, 401, 403, 409, 413, 422, 429))
def add_items(body: NewItem | NewItemsBatch, engine: EngineDep, _: CanWrite) -> ItemsReceipt:
    """One new item or a batch, with the catalogue's columns: stored durably, encoded with the
    bundle's text encoder and ranked at once beside the item its text reads most like; replayed
    after any restart or reload, and learned from by `llm4rec retrain`."""
    items = body.items if isinstance(body, NewItemsBatch) else [body]
    stored = engine.add_items(items)
    live = engine.served.live
    return ItemsReceipt(stored=stored, live_items=0 if live is None else len(live))
