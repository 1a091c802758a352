"""The HTTP service: an app factory over `serving.engine.Engine`, one router per resource.

Reads (recommendations, profiles, explanations, queries, similar items, search) need an API key
with the `read` scope, feedback `write`, reload and deleting users `admin` (see `deps.require`);
`/health`, `/metrics` and the page are open. Every request is counted and timed for /metrics,
413 answers included, and logged by route template (never the raw path, which may hold a user
id, nor the body).
"""

from __future__ import annotations

import logging
import time

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llm4rec.serving.conversation import Conversations
from llm4rec.serving.deps import no_unknown_query_parameters
from llm4rec.serving.engine import Engine
from llm4rec.serving.error_handlers import add_error_handlers
from llm4rec.serving.feedback_store import FeedbackStore
from llm4rec.serving.metrics import ServiceMetrics
from llm4rec.serving.profile_writer import ProfileWriter
from llm4rec.serving.routes import admin, chat, feedback, items, recommendations, system, users
from llm4rec.serving.security import BodySizeLimit, Pseudonymizer, RateLimiter
from llm4rec.serving.settings import ServiceSettings

log = logging.getLogger("llm4rec.serving")


def create_app(settings: ServiceSettings) -> ASGIApp:
    """The service as an ASGI app: FastAPI inside a body-size limit, inside the request metrics."""
    engine = Engine(settings.bundle_path, FeedbackStore(settings.feedback_db), settings.cache_size, settings.policy,
                    settings.two_stage_from)
    app = FastAPI(title="llm4rec", description="Recommendations, feedback and similar items over HTTP.",
                  version="1", dependencies=[Depends(no_unknown_query_parameters)])
    metrics = ServiceMetrics()
    app.state.engine, app.state.settings, app.state.metrics = engine, settings, metrics
    app.state.limiter = RateLimiter(settings.rate_per_second, settings.burst)
    app.state.pseudonym = Pseudonymizer(settings.pseudonymize)
    app.state.conversations = Conversations()
    app.state.profile_writer = ProfileWriter(settings.llm) if settings.llm is not None else None

    def model_changed() -> None:
        served = engine.served
        index = served.similar_index.kind if served.similar_index is not None else "model"
        metrics.set_model(served.bundle.model.name, served.version, served.bundle.interactions.n_items, index)

    metrics.held_streams.set_function(lambda: len(engine.held))
    app.state.model_changed = model_changed
    model_changed()
    for module in (system, recommendations, items, chat, users, feedback, admin):
        app.include_router(module.router)
    add_error_handlers(app)
    return _Observed(BodySizeLimit(app, settings.max_body_bytes), metrics)


class _Observed:
    """ASGI middleware timing and counting every request by its route template."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, answered = 500, False

        async def capture(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except Exception:
            # Starlette re-raises after its error handler has answered 500 and logged the error
            # by type and place; the server would log it again with its message, which may hold
            # a user id or the body. Only an exception before any answer goes on.
            if not answered:
                raise
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            seconds = time.perf_counter() - started
            self.metrics.observe(scope["method"], route, status, seconds)
            log.debug("%s %s %d %.1f ms", scope["method"], route, status, 1000 * seconds)
