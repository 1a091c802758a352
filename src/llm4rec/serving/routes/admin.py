"""POST /admin/reload: swap in the newest bundle."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from llm4rec.serving.deps import CanAdmin, EngineDep
from llm4rec.serving.schemas import Reloaded, problems

router = APIRouter(tags=["admin"])
log = logging.getLogger("llm4rec.serving")


@router.post("/admin/reload", responses=problems(401, 403, 413, 422, 429))
def reload(engine: EngineDep, request: Request, _: CanAdmin) -> Reloaded:
    """Load the newest bundle beside the served one and swap it in atomically."""
    old, new = engine.reload()
    request.app.state.model_changed()
    log.info("model swapped from %s to %s", old, new)
    return Reloaded(previous_version=old, model_version=new)
