"""The library's exception classes: each says what was wrong, where, and how to fix it."""

from __future__ import annotations

from pathlib import Path


class Llm4RecError(Exception):
    """Base class of every error llm4rec raises on purpose."""


class DataError(Llm4RecError, ValueError):
    """Input data that cannot be used as it is: names the file, row and column, with a hint."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file, self.line, self.column, self.hint = file, line, column, hint
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file is not None else "",
                f"line {line}" if line is not None else "",
                f"column {column!r}" if column is not None else "",
            )
            if part
        )
        text = f"{message} ({where})" if where else message
        if hint:
            text += f"\n\nHint: {hint}"
        super().__init__(text)


class ConfigError(Llm4RecError, ValueError):
    """A parameter or option outside what is accepted; the message lists the valid choices."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.hint = hint
        super().__init__(f"{message}\n\nHint: {hint}" if hint else message)


class NotFittedError(Llm4RecError, RuntimeError):
    """A model used before `fit` (or `load`) gave it learned state."""

    def __init__(self, model_name: str) -> None:
        super().__init__(
            f"This {model_name} instance is not fitted yet. "
            "Call 'fit' with the training interactions (or 'load' a saved model) before using it."
        )


class UnknownIdError(Llm4RecError, KeyError):
    """A user or item id that the data or model does not know."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class ConflictError(Llm4RecError, ValueError):
    """A well-formed request that the current state refuses (an item the catalogue already
    holds, fields the catalogue lacks); the service answers 409."""
