"""GET /users/{user_id}/profile and DELETE /users/{user_id} (forgetting a user)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request

from llm4rec.serving.deps import CanAdmin, CanRead, EngineDep, LanguageDep, ServedDep, SettingsDep
from llm4rec.serving.schemas import Forgotten, UserProfile, problems

router = APIRouter(tags=["users"])
log = logging.getLogger("llm4rec.serving")


Written = Annotated[bool, Query(description="have the service's language model write the summary from the "
                                            "profile's facts, checked claim by claim (else the template, with a "
                                            "note saying why); needs `serve --llm`; English only")]


@router.get("/users/{user_id}/profile", responses=problems(401, 403, 404, 422, 429))
def profile(user_id: str, served: ServedDep, request: Request, _: CanRead, language: LanguageDep,
            written: Written = False) -> UserProfile:
    """What the user's history says about them: top categories, liked and disliked themes, shift
    of taste, era; the summary in `?lang=` (or Accept-Language), written by the language model
    with `?written=true` ("written_by" says who wrote it, "note" why not when it was asked)."""
    writer = request.app.state.profile_writer
    wording = writer.for_bundle(served) if written and writer is not None and language == "en" else None
    return UserProfile(**served.profile(user_id, language, wording, asked_written=written))


@router.delete("/users/{user_id}", responses=problems(401, 403, 422, 429))
def forget_user(user_id: str, engine: EngineDep, settings: SettingsDep, request: Request, _: CanAdmin) -> Forgotten:
    """Erase a user from this deployment: feedback, histories, bundles and their reports; says
    which model versions still carry the user's influence until refitted."""
    erased = engine.forget_user(user_id, settings.pseudonym_key)
    log.info("forgot user %s: %d places erased", request.app.state.pseudonym(user_id), len(erased.erased))
    return Forgotten.from_erasure(user_id, erased)
