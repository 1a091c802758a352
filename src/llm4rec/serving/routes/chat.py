"""POST /chat: refining recommendations over turns (see serving.conversation)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from llm4rec.serving.deps import CanRead, LanguageDep, ServedDep
from llm4rec.serving.schemas import ChatReply, ChatRequest, RecommendedItem, problems

router = APIRouter(tags=["chat"])


@router.post("/chat", responses=problems(400, 401, 403, 413, 422, 429))
def chat(body: ChatRequest, served: ServedDep, request: Request, _: CanRead, language: LanguageDep) -> ChatReply:
    """One turn: a request ("a comedy, no animation"), a refinement ("more like the third one",
    "newer", "no horror") or a question ("why #2?"); the session keeps the rest."""
    session_id, conversation = request.app.state.conversations.get(body.session_id, served, language)
    conversation.k = body.k
    reply = conversation.turn(body.message)
    items = [RecommendedItem(**entry) for entry in reply.ranked.as_json()["items"]] if reply.ranked else []
    return ChatReply(session_id=session_id, message=reply.message, items=items, constraints=reply.constraints)
