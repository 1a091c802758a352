"""Admin: swap in the newest bundle; list and release feedback streams held for review."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from llm4rec.serving.deps import CanAdmin, EngineDep
from llm4rec.serving.schemas import HeldStreams, Released, Reloaded, problems
from llm4rec.serving.streams import held_streams

router = APIRouter(tags=["admin"])
log = logging.getLogger("llm4rec.serving")


@router.post("/admin/reload", responses=problems(401, 403, 413, 422, 429))
def reload(engine: EngineDep, request: Request, _: CanAdmin) -> Reloaded:
    """Load the newest bundle beside the served one and swap it in atomically."""
    old, new = engine.reload()
    request.app.state.model_changed()
    log.info("model swapped from %s to %s", old, new)
    return Reloaded(previous_version=old, model_version=new)


@router.get("/admin/held", responses=problems(401, 403, 422, 429))
def held(engine: EngineDep, _: CanAdmin) -> HeldStreams:
    """Streams held for review: their events are stored but kept out of histories and retraining."""
    return HeldStreams(held=held_streams(engine.store))


@router.post("/admin/release/{user_id}", responses=problems(401, 403, 404, 413, 422, 429))
def release(user_id: str, engine: EngineDep, _: CanAdmin) -> Released:
    """Release a held stream: its stored events enter the user's history and the next retraining."""
    return Released(user_id=user_id, applied=engine.release(user_id))
