"""POST /feedback: events stored durably before they are acknowledged."""

from __future__ import annotations

from fastapi import APIRouter, Request

from llm4rec.serving.deps import CanWrite, EngineDep
from llm4rec.serving.feedback_store import Event
from llm4rec.serving.schemas import FeedbackBatch, FeedbackReceipt, problems

router = APIRouter(tags=["feedback"])


@router.post("/feedback", responses=problems(400, 401, 403, 413, 422, 429))
def feedback(body: Event | FeedbackBatch, engine: EngineDep, request: Request, _: CanWrite) -> FeedbackReceipt:
    """One event or a batch; replayed after any restart or reload, whatever its timestamp."""
    events = body.events if isinstance(body, FeedbackBatch) else [body]
    stored, applied = engine.add_feedback(events)
    request.app.state.metrics.feedback.inc(stored)
    return FeedbackReceipt(stored=stored, applied=applied)
