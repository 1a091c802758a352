"""Typed FastAPI dependencies: the engine, the served model (read once per request) and access
by scope (API keys with read / write / admin, rate limited per caller)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Depends, Header, HTTPException, Query, Request, Security
from fastapi.security import APIKeyHeader

from llm4rec.serving.engine import Engine
from llm4rec.serving.reads import ServedModel
from llm4rec.serving.settings import ServiceSettings


def get_settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_served(engine: Annotated[Engine, Depends(get_engine)]) -> ServedModel:
    """The model version this request uses from start to end, even if a reload swaps it."""
    return engine.served


def no_unknown_query_parameters(request: Request) -> None:
    """A query parameter the route does not take is a 422 naming it, not silently ignored (a
    misspelt `?K=5` would otherwise answer the default)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {param.alias for param in _query_params(dependant)}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise HTTPException(422, f"Unknown query parameter(s) {unknown}; this endpoint takes "
                                 f"{sorted(known) or 'none'}.")


def _query_params(dependant):
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _query_params(sub)


API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key; see the README's security model")


def require(scope: str) -> Callable[..., str]:
    """A dependency admitting callers whose key holds `scope` (401 without a valid key, 403
    without the scope, 429 over the rate limit); it returns who the caller is, for rate limits.
    With `open_reads`, the read scope needs no key and is limited per client address."""

    def check(request: Request, x_api_key: Annotated[str | None, Security(API_KEY)]) -> str:
        settings: ServiceSettings = request.app.state.settings
        found = settings.api_keys.check(x_api_key)
        if found is None and scope == "read" and settings.open_reads and not x_api_key:
            caller = "address:" + (request.client.host if request.client else "unknown")
        elif found is None:
            raise HTTPException(401, f"A valid API key with the {scope!r} scope is required in the X-API-Key header "
                                     "(keys are set with LLM4REC_API_KEYS or --api-keys-file).")
        elif scope not in found[1]:
            raise HTTPException(403, f"This API key lacks the {scope!r} scope; it holds {', '.join(sorted(found[1]))}.")
        else:
            caller = found[0]
        wait = request.app.state.limiter.allow(caller)
        if wait:
            raise HTTPException(429, f"Rate limit of {settings.rate_per_second:g} requests/s exceeded; retry in "
                                     f"{wait:.2f} s.", headers={"Retry-After": f"{max(1, round(wait))}"})
        return caller

    return check


SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
def reader_language(lang: Annotated[Literal["en", "zh"] | None, Query(
                        description="language of explanations and summaries (else Accept-Language, else en)")] = None,
                    accept_language: Annotated[str | None, Header()] = None) -> str:
    """`?lang=`, else the first supported language in Accept-Language, else English."""
    if lang is not None:
        return lang
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in ("en", "zh"):
            return code
    return "en"


LanguageDep = Annotated[str, Depends(reader_language)]
EngineDep = Annotated[Engine, Depends(get_engine)]
ServedDep = Annotated[ServedModel, Depends(get_served)]
CanRead = Annotated[str, Depends(require("read"))]
CanWrite = Annotated[str, Depends(require("write"))]
CanAdmin = Annotated[str, Depends(require("admin"))]
