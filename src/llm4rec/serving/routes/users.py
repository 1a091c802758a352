"""GET /users/{user_id}/profile and DELETE /users/{user_id} (forgetting a user)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from llm4rec.serving.deps import CanAdmin, CanRead, EngineDep, LanguageDep, ServedDep, SettingsDep
from llm4rec.serving.schemas import Forgotten, UserProfile, problems

router = APIRouter(tags=["users"])
log = logging.getLogger("llm4rec.serving")


@router.get("/users/{user_id}/profile", responses=problems(401, 403, 404, 422, 429))
def profile(user_id: str, served: ServedDep, _: CanRead, language: LanguageDep) -> UserProfile:
    """What the user's history says about them: top categories, shift of taste, era; the
    summary in `?lang=` (or Accept-Language)."""
    return UserProfile(**served.profile(user_id, language))


@router.delete("/users/{user_id}", responses=problems(401, 403, 422, 429))
def forget_user(user_id: str, engine: EngineDep, settings: SettingsDep, request: Request, _: CanAdmin) -> Forgotten:
    """Erase a user from this deployment: feedback, histories, bundles and their reports; says
    which model versions still carry the user's influence until refitted."""
    erased = engine.forget_user(user_id, settings.pseudonym_key)
    log.info("forgot user %s: %d places erased", request.app.state.pseudonym(user_id), len(erased.erased))
    return Forgotten.from_erasure(user_id, erased)
