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
NO_WRITER = ("no language model writes profiles here: start the service with `llm4rec serve --llm default` (or a "
             "model folder, a .gguf file or an endpoint URL); this is the template")


@router.get("/users/{user_id}/profile", responses=problems(401, 403, 404, 422, 429))
def profile(user_id: str, served: ServedDep, request: Request, _: CanRead, language: LanguageDep,
            written: Written = False) -> UserProfile:
    """What the user's history says about them: top categories, liked and disliked themes, shift
    of taste, era; the summary in `?lang=` (or Accept-Language), written by the language model
    with `?written=true` ("written_by" says who wrote it, "note" why not when it was asked)."""
    writer = request.app.state.profile_writer
    wording = writer.for_bundle(served) if written and writer is not None and language == "en" else None
    answer = served.profile(user_id, language, wording)
    if written and answer["written_by"] == "template":
        answer["note"] = why_not_written(writer is not None, language)
    return UserProfile(**answer)


def why_not_written(has_writer: bool, language: str) -> str:
    """The note of a profile asked to be written that keeps the template."""
    if not has_writer:
        return NO_WRITER
    if language != "en":
        return "written profiles are English only; this is the template"
    return "the written summary did not pass the claim check, or the model failed; this is the template"


@router.delete("/users/{user_id}", responses=problems(401, 403, 422, 429))
def forget_user(user_id: str, engine: EngineDep, settings: SettingsDep, request: Request, _: CanAdmin) -> Forgotten:
    """Erase a user from this deployment: feedback, histories, bundles and their reports; says
    which model versions still carry the user's influence until refitted."""
    erased = engine.forget_user(user_id, settings.pseudonym_key)
    log.info("forgot user %s: %d places erased", request.app.state.pseudonym(user_id), len(erased.erased))
    return Forgotten.from_erasure(user_id, erased)
