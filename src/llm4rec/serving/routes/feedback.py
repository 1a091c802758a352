"""POST /feedback: events stored durably before they are acknowledged."""

from __future__ import annotations

from fastapi import APIRouter, Request

from llm4rec.serving.deps import CanWrite, EngineDep, ServedDep
from llm4rec.serving.feedback_store import Event
from llm4rec.serving.schemas import FeedbackBatch, FeedbackReceipt, problems

router = APIRouter(tags=["feedback"])


@router.post("/feedback", responses=problems(400, 401, 403, 413, 422, 429))
def feedback(body: Event | FeedbackBatch, engine: EngineDep, served: ServedDep, request: Request,
             _: CanWrite) -> FeedbackReceipt:
    """One event or a batch; replayed after any restart or reload, whatever its timestamp. Types
    the bundle's feedback weights do not know are counted (/metrics) and named in the receipt; a
    stream faster than the bundle's bot rate is held for review (counted, and `held` in the receipt)."""
    events = body.events if isinstance(body, FeedbackBatch) else [body]
    stored, applied, held = engine.add_feedback(events)
    unknown = served.unknown_event_types(events)
    metrics = request.app.state.metrics
    metrics.feedback.inc(stored)
    metrics.held_events.inc(held)
    metrics.unknown_event_types.inc(sum(e.event_type in unknown for e in events))
    return FeedbackReceipt(stored=stored, applied=applied, unknown_event_types=unknown[:20], held=held)
