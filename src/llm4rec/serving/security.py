"""API keys (kept only as sha256 hashes), a per-key rate limit, a request body limit and
pseudonymous user ids for logs."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    """The hashes of the keys allowed to write and administer.

    Keys come from $LLM4REC_API_KEYS (comma-separated plain keys, hashed on arrival and not
    kept) and/or a file of sha256 hex hashes, one per line (`llm4rec serve --api-keys-file`).
    """

    def __init__(self, hashes: set[str]) -> None:
        self.hashes = hashes

    @classmethod
    def from_sources(cls, env_value: str | None = None, hash_file: Path | None = None) -> ApiKeys:
        env_value = os.environ.get("LLM4REC_API_KEYS", "") if env_value is None else env_value
        hashes = {hash_key(k.strip()) for k in env_value.split(",") if k.strip()}
        if hash_file is not None:
            hashes |= {line.strip().lower() for line in Path(hash_file).read_text().splitlines()
                       if line.strip() and not line.startswith("#")}
        return cls(hashes)

    def check(self, key: str | None) -> str | None:
        """The key's hash if it is allowed, else None (compared in constant time)."""
        if not key:
            return None
        digest = hash_key(key)
        return digest if any(hmac.compare_digest(digest, h) for h in self.hashes) else None


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
        secret = secret or os.environ.get("LLM4REC_PSEUDONYM_SECRET") or secrets.token_hex(16)
        self._secret = secret.encode()

    def __call__(self, user_id: str) -> str:
        if not self.enabled:
            return user_id
        return "u_" + hmac.new(self._secret, user_id.encode(), hashlib.sha256).hexdigest()[:16]


class BodySizeLimit:
    """ASGI middleware answering 413 to request bodies over `limit` bytes, whether the size
    is declared (Content-Length) or only discovered while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send, self.limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"detail": "Request body is larger than the limit of {limit} bytes."}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
