"""Request and response bodies of the HTTP API, with bounded fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llm4rec.ranking.query import DEFAULT_QUERY_WEIGHT
from llm4rec.serving.feedback_store import Event


class RecommendedItem(BaseModel):
    item_id: str
    title: str
    score: float
    explanation: str | None = Field(None, description="Why, from the user's own history (when asked for)")


class Recommendations(BaseModel):
    items: list[RecommendedItem]
    model: str
    model_version: str
    cached: bool = False


class RecommendRequest(BaseModel):
    """An anonymous or new visitor: items they liked and/or what they are looking for."""

    model_config = ConfigDict(extra="forbid")
    items: list[str] = Field(default_factory=list, max_length=1000, description="Liked item ids, oldest first")
    query: str | None = Field(None, max_length=1000, description="A natural-language request")
    k: int = Field(10, ge=1, le=1000)
    query_weight: float = Field(DEFAULT_QUERY_WEIGHT, ge=0, le=1)
    explain: bool = Field(False, description="Add an explanation to each item (liked items only, not the query)")


class FeedbackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[Event] = Field(min_length=1, max_length=10_000)


class FeedbackReceipt(BaseModel):
    stored: int = Field(description="Events written durably before this answer")
    applied: int = Field(description="Events on items the served model knows, now in the users' histories")


class Forgotten(BaseModel):
    user_id: str
    events: int
    history: int
    bundles: int


class Health(BaseModel):
    status: str
    model: str
    model_version: str
    items: int
    users: int
    policy: str | None = None


class Reloaded(BaseModel):
    previous_version: str
    model_version: str


class UserProfile(BaseModel):
    user_id: str
    summary: str = Field(description="The profile in plain language")
    profile: dict[str, Any] = Field(description="Top categories with weights, recent shift, era, keywords")
