"""The HTTP service: a thin FastAPI layer over `serving.engine.Engine`.

Reads are open; writes (feedback, deleting a user) and admin calls need an API key in the
`X-API-Key` header and are rate-limited per key. Every request is counted and timed for
/metrics and logged by route template (never the raw path, which may hold a user id).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llm4rec.errors import ConfigError, DataError, UnknownIdError
from llm4rec.serving.engine import CACHE_SIZE, Engine, Ranked
from llm4rec.serving.feedback_store import Event, FeedbackStore
from llm4rec.serving.metrics import ServiceMetrics
from llm4rec.serving.schemas import (
    FeedbackBatch,
    FeedbackReceipt,
    Forgotten,
    Health,
    Recommendations,
    RecommendedItem,
    RecommendRequest,
    Reloaded,
    UserProfile,
)
from llm4rec.serving.security import ApiKeys, BodySizeLimit, Pseudonymizer, RateLimiter

log = logging.getLogger("llm4rec.serving")
MAX_K = 1000


@dataclass
class ServiceSettings:
    """Everything `create_app` needs; the CLI fills it from options and environment."""

    bundle_path: Path
    feedback_db: Path
    api_keys: ApiKeys = field(default_factory=ApiKeys.from_sources)
    rate_per_second: float = 50.0
    burst: int = 100
    max_body_bytes: int = 1_000_000
    pseudonymize: bool = True
    cache_size: int = CACHE_SIZE  # users whose results are cached; 0 turns the cache off
    policy: str | None = None  # an online slate policy reranking known users' candidates (llm4rec.ranking)


def require_key(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> str:
    """The caller's key hash, if the key is valid and within its rate limit (else 401/429)."""
    settings: ServiceSettings = request.app.state.settings
    digest = settings.api_keys.check(x_api_key)
    if digest is None:
        raise HTTPException(401, "A valid API key is required in the X-API-Key header for this endpoint "
                                 "(keys are set with LLM4REC_API_KEYS or --api-keys-file).")
    wait = request.app.state.limiter.allow(digest)
    if wait:
        raise HTTPException(429, f"Rate limit of {settings.rate_per_second:g} requests/s for this key "
                                 f"exceeded; retry in {wait:.2f} s.", headers={"Retry-After": f"{wait:.2f}"})
    return digest


Authorised = Annotated[str, Depends(require_key)]
K = Annotated[int, Query(ge=1, le=MAX_K, description="How many items")]
Explain = Annotated[bool, Query(description="Add an explanation from the user's history to each item")]


def create_app(settings: ServiceSettings) -> ASGIApp:
    """The service as an ASGI app (FastAPI inside a body-size limit)."""
    engine = Engine(settings.bundle_path, FeedbackStore(settings.feedback_db), settings.cache_size, settings.policy)
    metrics = ServiceMetrics()
    pseudonym = Pseudonymizer(settings.pseudonymize)
    limiter = RateLimiter(settings.rate_per_second, settings.burst)
    app = FastAPI(title="llm4rec", description="Recommendations, feedback and similar items over HTTP.",
                  version="1")
    app.state.engine, app.state.settings, app.state.limiter = engine, settings, limiter

    def model_changed() -> None:
        served = engine.served
        index = served.similar_index.kind if served.similar_index is not None else "model"
        metrics.set_model(served.bundle.model.name, served.version, served.bundle.interactions.n_items, index)

    model_changed()

    def respond(ranked: Ranked, cached: bool = False, explanations: list[str] | None = None) -> Response:
        """JSON of a ranked list, serialised once here: returning a Response skips FastAPI's
        second validation of the same data, a third of a cached answer's time."""
        explanations = explanations or [None] * len(ranked.item_ids)
        items = [RecommendedItem(item_id=i, title=t, score=s, explanation=e)
                 for i, t, s, e in zip(ranked.item_ids, ranked.titles, ranked.scores, explanations, strict=True)]
        body = Recommendations(items=items, model=engine.served.bundle.model.name, model_version=ranked.version,
                               cached=cached)
        return Response(body.model_dump_json(), media_type="application/json")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return files("llm4rec.serving").joinpath("page.html").read_text()

    @app.get("/health")
    async def health() -> Health:
        served = engine.served
        return Health(status="ok", model=served.bundle.model.name, model_version=served.version,
                      items=served.bundle.interactions.n_items, users=len(served.histories), policy=engine.policy)

    @app.get("/recommend/{user_id}", response_model=Recommendations)
    async def recommend_user(user_id: str, k: K = 10, explain: Explain = False) -> Response:
        # A cache hit is answered on the event loop; computing goes to the thread pool.
        ranked, cached = engine.cached(user_id, k), True
        if ranked is None:
            ranked, cached = await run_in_threadpool(engine.recommend_user, user_id, k)
        if cached:
            metrics.cache_hits.inc()
        explanations = None
        if explain:
            history = engine.user_history(user_id)
            explanations = await run_in_threadpool(engine.explanations, history, ranked.item_ids)
        return respond(ranked, cached, explanations)

    @app.get("/users/{user_id}/profile")
    def profile(user_id: str) -> UserProfile:
        """What the user's history says about them: top categories, shift of taste, era."""
        return UserProfile(**engine.profile(user_id))

    @app.post("/recommend", response_model=Recommendations)
    def recommend_items(request: RecommendRequest) -> Response:
        ranked = engine.recommend_items(request.items, request.query, request.k, request.query_weight)
        explanations = None
        if request.explain:
            explanations = engine.explanations(engine.served.item_index(request.items), ranked.item_ids)
        return respond(ranked, explanations=explanations)

    @app.get("/similar/{item_id}", response_model=Recommendations)
    def similar(item_id: str, k: K = 10) -> Response:
        return respond(engine.similar(item_id, k))

    @app.get("/items")
    def search_items(q: Annotated[str, Query(min_length=1, max_length=200)],
                     limit: Annotated[int, Query(ge=1, le=100)] = 10) -> list[RecommendedItem]:
        """Items whose title contains `q` (case-insensitive), for picking liked items."""
        served = engine.served
        hits = [i for i, title in enumerate(served.titles) if q.lower() in str(title).lower()][:limit]
        ids = served.bundle.interactions.items.ids
        return [RecommendedItem(item_id=ids[i], title=served.titles[i], score=0.0) for i in hits]

    @app.post("/feedback")
    def feedback(body: Event | FeedbackBatch, _: Authorised) -> FeedbackReceipt:
        events = body.events if isinstance(body, FeedbackBatch) else [body]
        stored, applied = engine.add_feedback(events)
        metrics.feedback.inc(stored)
        return FeedbackReceipt(stored=stored, applied=applied)

    @app.delete("/users/{user_id}")
    def forget_user(user_id: str, _: Authorised) -> Forgotten:
        removed = engine.forget_user(user_id)
        log.info("forgot user %s: %s", pseudonym(user_id), removed)
        return Forgotten(user_id=user_id, **removed)

    @app.post("/admin/reload")
    def reload(_: Authorised) -> Reloaded:
        old, new = engine.reload()
        model_changed()
        log.info("model swapped from %s to %s", old, new)
        return Reloaded(previous_version=old, model_version=new)

    @app.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4")

    _add_error_handlers(app)
    return BodySizeLimit(_Observed(app, metrics), settings.max_body_bytes)


def _add_error_handlers(app: FastAPI) -> None:
    """Library errors become 4xx answers that say what was wrong."""

    def handler(status: int):
        def handle(request: Request, error: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(error)}, status_code=status)
        return handle

    app.add_exception_handler(UnknownIdError, handler(404))
    app.add_exception_handler(ConfigError, handler(422))
    app.add_exception_handler(DataError, handler(422))
    app.add_exception_handler(NotImplementedError, handler(501))


class _Observed:
    """ASGI middleware timing and counting every request by its route template."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            seconds = time.perf_counter() - started
            self.metrics.observe(scope["method"], route, status, seconds)
            log.debug("%s %s %d %.1f ms", scope["method"], route, status, 1000 * seconds)
