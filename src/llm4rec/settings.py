"""The library's settings: every environment variable llm4rec reads, read in this one place,
typed and checked, and overridable for a scope (as `sklearn.config_context` does) so that the
CLI passes its options down without writing to the process environment."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from llm4rec.errors import ConfigError

PREFIX = "LLM4REC_"
CACHE_VARIABLE = PREFIX + "CACHE"
Backend = Literal["torch", "onnx", "onnx-int8"]


class Settings(BaseModel):
    """What the environment configures; each field is read from LLM4REC_<FIELD NAME>."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    cache: Path = Field(Path.home() / ".cache" / "llm4rec",
                        description="downloaded data, embeddings, bundles and the artefact ledger")
    encoder: str | None = Field(None, description="default sentence encoder folder; None: all-MiniLM-L6-v2")
    encoder_backend: Backend = Field("torch", description="how text is encoded")
    ray: str | None = Field(None, description="a Ray address ('auto' or ray://…) for large encoding batches")
    api_keys: SecretStr = Field(SecretStr(""), description="the service's plain API keys, comma-separated")
    pseudonym_key: SecretStr | None = Field(None, description="HMAC key of pseudonymised user ids")
    pseudonym_secret: SecretStr | None = Field(None, description="key of the hashed user ids in service logs")
    llm_api_key: SecretStr | None = Field(None, description="API key of an OpenAI-compatible wording endpoint")
    admin_key: SecretStr | None = Field(None, description="the admin key `retrain --reload` sends a service")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        values = {name: environ[PREFIX + name.upper()] for name in cls.model_fields
                  if environ.get(PREFIX + name.upper())}
        try:
            return cls(**values)
        except ValidationError as error:
            problems = "; ".join(f"{PREFIX}{str(e['loc'][0]).upper()}: {e['msg']}" for e in error.errors())
            raise ConfigError(f"Bad llm4rec setting in the environment: {problems}") from None


_overrides: ContextVar[dict[str, Any] | None] = ContextVar("llm4rec_settings", default=None)


def settings() -> Settings:
    """The settings in force: the environment, with any `overridden` scope's changes."""
    changes = _overrides.get()
    base = Settings.from_environment()  # read on each call, so a changed environment counts at once
    return base.model_copy(update=changes) if changes else base


@contextmanager
def overridden(**changes: Any) -> Iterator[Settings]:
    """Settings changed for the code run inside (None values leave a setting as it is)."""
    changes = {k: v for k, v in changes.items() if v is not None}
    try:
        Settings(**changes)  # checked here, where the caller can see which option was wrong
    except ValidationError as error:
        raise ConfigError("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())) from None
    token = _overrides.set((_overrides.get() or {}) | changes)
    try:
        yield settings()
    finally:
        _overrides.reset(token)


def cache_root() -> Path:
    """Where llm4rec keeps what it writes ($LLM4REC_CACHE, else ~/.cache/llm4rec)."""
    return settings().cache
