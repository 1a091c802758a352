"""Durable feedback: events appended to SQLite in WAL mode, committed before acknowledged.

SQLite ships with Python, survives a killed process (a committed transaction is in the
write-ahead log, fsynced with synchronous=FULL) and handles one writer with many readers,
which is what one service process needs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    """One row of the event-log schema (also the body of `POST /feedback`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    user_id: str = Field(min_length=1, max_length=256)
    item_id: str = Field(min_length=1, max_length=256)
    timestamp: float = Field(default_factory=time.time, ge=0, le=1e11, description="Unix seconds; now by default")
    event_type: str = Field("click", min_length=1, max_length=64)
    value: float | None = Field(None, ge=-1e12, le=1e12, description="rating, quantity or price")
    dwell_time: float | None = Field(None, ge=0, le=1e9, description="seconds")
    session_id: str | None = Field(None, max_length=256)
    query: str | None = Field(None, max_length=1000)


COLUMNS = list(Event.model_fields)
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL, item_id TEXT NOT NULL, timestamp REAL NOT NULL, event_type TEXT NOT NULL,
    value REAL, dwell_time REAL, session_id TEXT, query TEXT
);
CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, seq);
"""
INSERT = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


class FeedbackStore:
    """Append-only event store; `append` returns only after the events are on disk."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # one connection shared by the server's threads
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not left in free pages
        self._db.executescript(SCHEMA)

    def append(self, events: Iterable[Event]) -> int:
        """Write events in one transaction; the count written."""
        rows = [tuple(getattr(e, c) for c in COLUMNS) for e in events]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(INSERT, rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def events(self, user_id: str | None = None) -> list[Event]:
        """All events, or one user's, in arrival order."""
        query = f"SELECT {', '.join(COLUMNS)} FROM events"
        args: tuple[str, ...] = ()
        if user_id is not None:
            query, args = query + " WHERE user_id = ?", (str(user_id),)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
        return [Event.model_construct(**dict(zip(COLUMNS, row, strict=True))) for row in rows]

    def delete_user(self, user_id: str) -> int:
        """Remove every event of a user and return how many there were; the write-ahead log
        is checkpointed and truncated so no copy of the rows stays in it."""
        with self._lock:
            deleted = self._db.execute("DELETE FROM events WHERE user_id = ?", (str(user_id),)).rowcount
            if deleted:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    def close(self) -> None:
        with self._lock:
            self._db.close()
