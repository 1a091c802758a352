"""API keys with scopes (kept only as sha256 hashes), a per-caller rate limit, a request body
limit and pseudonymous user ids for logs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llm4rec.errors import ConfigError
from llm4rec.settings import settings


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


SCOPES = ("read", "write", "admin")  # read: recommendations, profiles, explanations, queries; write: feedback;
# admin: reload and deleting users


class ApiKeys:
    """The hashes of the allowed keys, each with its scopes.

    Keys come from $LLM4REC_API_KEYS (comma-separated plain keys, hashed on arrival and not
    kept; `key:read+write` limits a key to those scopes) and/or a file of sha256 hex hashes, one
    per line, optionally followed by scopes (`<hash> read,write`; `llm4rec serve
    --api-keys-file`). A key given without scopes holds every scope, as before scopes existed.
    """

    def __init__(self, scopes: dict[str, frozenset[str]]) -> None:
        self.scopes = scopes

    @classmethod
    def from_sources(cls, env_value: str | None = None, hash_file: Path | None = None) -> ApiKeys:
        env_value = settings().api_keys.get_secret_value() if env_value is None else env_value
        scopes = {}
        for entry in (e.strip() for e in env_value.split(",")):
            if entry:
                key, _, names = entry.rpartition(":")
                if not key or not set(names.split("+")) <= set(SCOPES):  # a plain key (colons allowed)
                    key, names = entry, ""
                scopes[hash_key(key)] = _scopes(names.replace("+", ","), "LLM4REC_API_KEYS")
        if hash_file is not None:
            for line in Path(hash_file).read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    digest, _, names = line.strip().partition(" ")
                    scopes[digest.lower()] = _scopes(names, str(hash_file))
        return cls(scopes)

    @property
    def hashes(self) -> set[str]:
        return set(self.scopes)

    def check(self, key: str | None) -> tuple[str, frozenset[str]] | None:
        """The key's hash and scopes if it is allowed, else None (compared in constant time)."""
        if not key:
            return None
        digest = hash_key(key)
        for known, scopes in self.scopes.items():
            if hmac.compare_digest(digest, known):
                return digest, scopes
        return None


def _scopes(names: str, source: str) -> frozenset[str]:
    """Scope names from `read,write`; every scope when none are given."""
    chosen = frozenset(n.strip() for n in names.split(",") if n.strip())
    unknown = chosen - set(SCOPES)
    if unknown:
        raise ConfigError(f"Unknown API key scope(s) {sorted(unknown)} in {source}; choose from {', '.join(SCOPES)}.")
    return chosen or frozenset(SCOPES)


class RateLimiter:
    """Token bucket per key: `rate` requests per second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 if a request may go now, else the seconds to wait before the next one."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


class Pseudonymizer:
    """Keyed hash of user ids for logs: stable within a deployment, not reversible without
    the secret ($LLM4REC_PSEUDONYM_SECRET; a random one per process otherwise)."""

    def __init__(self, enabled: bool, secret: str | None = None) -> None:
        self.enabled = enabled
        configured = settings().pseudonym_secret
        secret = secret or (configured.get_secret_value() if configured is not None else secrets.token_hex(16))
        self._secret = secret.encode()

    def __call__(self, user_id: str) -> str:
        if not self.enabled:
            return user_id
        return "u_" + hmac.new(self._secret, user_id.encode(), hashlib.sha256).hexdigest()[:16]


class BodySizeLimit:
    """ASGI middleware answering 413 to request bodies over `limit` bytes, whether the size
    is declared (Content-Length) or only discovered while streaming (chunked).

    A streamed body is read here in full (at most `limit` bytes) before the app sees it: an
    error raised inside the app's own body reading would become FastAPI's 400 instead.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_large(send, self.limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                await too_large(send, self.limit)
                return
        body, delivered = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # waits for the disconnect, as the server's receive does
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def too_large(send: Send, limit: int) -> None:
    body = f'{{"detail": "Request body is larger than the limit of {limit} bytes."}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
