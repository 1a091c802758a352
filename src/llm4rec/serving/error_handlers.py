"""Every error the service answers, as JSON whose shape the OpenAPI document states.

A 422 never echoes the value that failed (it may be NaN, a lone surrogate or a user's id, and
must neither break the reply's encoding nor reach a log); an unexpected exception is logged by
type and place only, never with the request or its message, and answered as a plain 500.
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from llm4rec.errors import ConfigError, ConflictError, DataError, UnknownIdError

log = logging.getLogger("llm4rec.serving")


def printable(text: object) -> str | int:
    """A location part or message that JSON can carry: ints as they are, text as valid UTF-8."""
    if isinstance(text, int):
        return text
    return str(text).encode("utf-8", "replace").decode("utf-8")


def field_problems(error: RequestValidationError) -> list[dict]:
    """Where and what, without the input: [{loc, msg, type}] as FastAPI's schema describes."""
    return [{"loc": [printable(part) for part in e["loc"]], "msg": printable(e["msg"]), "type": e["type"]}
            for e in error.errors()]


def add_error_handlers(app: FastAPI) -> None:
    """Validation and library errors become 4xx answers that say what was wrong."""

    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": field_problems(error)}, status_code=422)

    def answer(status: int):
        async def handle(request: Request, error: Exception) -> JSONResponse:
            return JSONResponse({"detail": printable(str(error))}, status_code=status)
        return handle

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        route = getattr(request.scope.get("route"), "path", "unmatched")
        where = "".join(traceback.format_tb(error.__traceback__))
        log.error("unexpected %s on %s %s\n%s", type(error).__name__, request.method, route, where)
        return JSONResponse({"detail": "Internal error; the service log names where it happened."}, status_code=500)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(UnknownIdError, answer(404))
    app.add_exception_handler(ConflictError, answer(409))
    app.add_exception_handler(ConfigError, answer(422))
    app.add_exception_handler(DataError, answer(422))
    app.add_exception_handler(NotImplementedError, answer(501))
    app.add_exception_handler(Exception, unexpected)
