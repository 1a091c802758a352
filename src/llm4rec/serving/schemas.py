"""Request and response bodies of the HTTP API, with bounded fields."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from llm4rec.ranking.query import DEFAULT_QUERY_WEIGHT
from llm4rec.serving.feedback_store import Event, Id, NewItem, Text
from llm4rec.serving.reads import MAX_K


def json_integer(value: Any) -> Any:
    """An integer as JSON Schema means it (2.0 counts; true and "2" do not), for strict models."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Count = Annotated[int, BeforeValidator(json_integer)]


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where: body, query or path, then the field")
    msg: str
    type: str


class Problem(BaseModel):
    """Every error answer: a sentence, or for invalid requests the list of fields at fault."""

    detail: str | list[FieldProblem]


PROBLEMS = {
    400: "The request could not be read",
    401: "No valid API key in X-API-Key",
    403: "The API key lacks the scope this endpoint needs",
    404: "Unknown user or item id",
    409: "The request conflicts with the served catalogue (the message says how)",
    413: "The request body is over the size limit",
    422: "Invalid input: the fields at fault, or a sentence saying what was wrong",
    429: "Rate limit exceeded; Retry-After says when to try again",
    501: "The served model cannot do this",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can answer."""
    return {status: {"model": Problem, "description": PROBLEMS[status]} for status in statuses}


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
    notes: list[str] = Field(default_factory=list, description="What to know about this list, e.g. a query in a "
                             "language the encoder does not cover")
    constraints: dict[str, Any] | None = Field(None, description="What a text query was understood to ask: "
                                               "include, exclude, year_min, year_max, price_max, similar_to, text")


class RecommendRequest(BaseModel):
    """An anonymous or new visitor: items they liked and/or what they are looking for."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, json_schema_extra={"anyOf": [
        {"required": ["query"], "properties": {"query": {"type": "string"}}},
        {"required": ["items"], "properties": {"items": {"minItems": 1}}}]})
    items: list[Id] = Field(default_factory=list, max_length=1000, description="Liked item ids, oldest first")
    query: Text(1000, 1, "A natural-language request") | None = None
    k: Count = Field(10, ge=1, le=MAX_K)
    query_weight: float = Field(DEFAULT_QUERY_WEIGHT, ge=0, le=1)
    explain: bool = Field(False, description="Add an explanation to each item (liked items only, not the query)")

    @model_validator(mode="after")
    def _needs_items_or_query(self) -> RecommendRequest:
        if not self.items and self.query is None:
            raise ValueError("give at least one liked item id in `items` or a `query`")
        return self


class ChatRequest(BaseModel):
    """One message of a conversation; without `session_id` (or with an expired one) a new one starts."""

    model_config = ConfigDict(extra="forbid", strict=True)
    message: Text(1000, 1, "What the visitor says: a request, 'more like the third one', 'newer', 'why #2?'")
    session_id: Text(64) | None = None
    k: Count = Field(10, ge=1, le=MAX_K)


class ChatReply(BaseModel):
    session_id: str
    message: str = Field(description="The answer in words (for 'why', the explanation)")
    items: list[RecommendedItem] = Field(default_factory=list, description="The list, unless the turn asked why")
    constraints: dict[str, Any] = Field(default_factory=dict, description="What the conversation has asked so far")


class FeedbackBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    events: list[Event] = Field(min_length=1, max_length=10_000)


class NewItemsBatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    items: list[NewItem] = Field(min_length=1, max_length=1000)


class ItemsReceipt(BaseModel):
    stored: int = Field(description="Items written durably before this answer, now ranked by every read")
    live_items: int = Field(description="Items added live that the served bundle does not hold yet")


class FeedbackReceipt(BaseModel):
    stored: int = Field(description="Events written durably before this answer")
    applied: int = Field(description="Events on items the served model knows, now in the users' histories")
    unknown_event_types: list[str] = Field(default_factory=list, description="Event types the bundle's feedback "
                                           "weights do not list: stored, weighed as unknown events in retraining")
    held: int = Field(0, description="Events of streams held for review (faster than the bundle's bot rate): "
                      "stored, kept out of histories and retraining until an admin releases the stream")


class Forgotten(BaseModel):
    user_id: str
    erased: list[str] = Field(description="Every place the user was erased from")
    not_touched: list[str] = Field(description="Places that may still hold the user, which llm4rec did not write")
    influence_remains: list[str] = Field(
        description="Model versions whose weights were learned with the user; refit with `llm4rec forget --refit`")

    @classmethod
    def from_erasure(cls, user_id: str, erasure: Any) -> Forgotten:
        return cls(user_id=user_id, erased=erasure.erased, not_touched=erasure.not_touched,
                   influence_remains=erasure.influence_remains)


class Health(BaseModel):
    status: str
    model: str
    model_version: str
    items: int
    users: int
    policy: str | None = None
    key_required: bool = Field(True, description="Whether reads need an API key (false under --open-reads)")
    retrieval: str = Field("exact", description="How /recommend finds items: exact (every item scored) or "
                           "two-stage (ANN candidates scored exactly), with the index kind")


class HeldStreams(BaseModel):
    held: dict[str, str] = Field(description="user id -> why the stream is held")


class Released(BaseModel):
    user_id: str
    applied: int = Field(description="Stored events of the stream now in the user's history")


class Reloaded(BaseModel):
    previous_version: str
    model_version: str


class UserProfile(BaseModel):
    user_id: str
    summary: str = Field(description="The profile in plain language")
    written_by: str = Field(description="'template', or 'language model' when a checked model wrote the summary")
    note: str | None = Field(None, description="Why the summary is the template although ?written=true asked "
                                               "for a written one")
    profile: dict[str, Any] = Field(description="Top categories with weights, recent shift, era, keywords")
