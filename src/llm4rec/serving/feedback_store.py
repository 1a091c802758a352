"""Durable feedback: events appended to SQLite in WAL mode, committed before acknowledged.

SQLite ships with Python, survives a killed process (a committed transaction is in the
write-ahead log, fsynced with synchronous=FULL) and handles one writer with many readers,
which is what one service process needs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def encodable(text: str) -> str:
    """`text` if it can be written as UTF-8 (JSON may carry lone surrogates such as "\\ud800")."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (a lone surrogate such as \\ud800 is not)") from None
    return text


def Text(max_length: int, min_length: int = 0, description: str | None = None) -> Any:  # noqa: N802 (a type)
    """A bounded string that is valid Unicode, for request bodies and stored events."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, description=description),
                     AfterValidator(encodable)]


Id = Text(256, 1)  # a user or item id
EventType, SessionId, Query = Text(64, 1), Text(256), Text(1000)


class Event(BaseModel):
    """One row of the event-log schema (also the body of `POST /feedback`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)  # as the schema says
    user_id: Id
    item_id: Id
    timestamp: float = Field(default_factory=time.time, ge=0, le=1e11, description="Unix seconds; now by default")
    event_type: EventType = "click"
    value: float | None = Field(None, ge=-1e12, le=1e12, description="rating, quantity or price")
    dwell_time: float | None = Field(None, ge=0, le=1e9, description="seconds")
    session_id: SessionId | None = None
    query: Query | None = None


class NewItem(BaseModel):
    """An item added to a live service (the body of `POST /items`): its catalogue columns."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)
    item_id: Id
    fields: dict[Text(64, 1), Text(10_000) | float | None] = Field(
        default_factory=dict, max_length=50, description="values of the catalogue's columns (items.tsv), "
        "e.g. {\"title\": ..., \"genres\": \"Comedy|Drama\"}; columns left out are missing")


COLUMNS = list(Event.model_fields)
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL, item_id TEXT NOT NULL, timestamp REAL NOT NULL, event_type TEXT NOT NULL,
    value REAL, dwell_time REAL, session_id TEXT, query TEXT
);
CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, seq);
CREATE TABLE IF NOT EXISTS new_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL UNIQUE, fields TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_reviews (
    user_id TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('held', 'released')),
    reason TEXT NOT NULL, since REAL NOT NULL
);
"""
INSERT = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def deployment_store(bundle: Path) -> Path:
    """Where a deployment's feedback lives unless told otherwise: beside its model folders
    (ROOT/feedback.sqlite for the bundle ROOT/NAME/VERSION), so `serve`, `retrain` and the read
    commands find the same store."""
    return bundle.parent.parent / "feedback.sqlite"


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
        return self._write_many(INSERT, [tuple(getattr(e, c) for c in COLUMNS) for e in events])

    def events(self, user_id: str | None = None, after: int = 0, through: int | None = None) -> list[Event]:
        """All events, or one user's, in arrival order; `after` skips the first `after` sequence
        numbers (what a bundle built from the store already holds), `through` the later ones."""
        query = f"SELECT {', '.join(COLUMNS)} FROM events WHERE seq > ?"
        args: tuple = (after,)
        if through is not None:
            query, args = query + " AND seq <= ?", (*args, through)
        if user_id is not None:
            query, args = query + " AND user_id = ?", (*args, str(user_id))
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq", args).fetchall()
        return [Event.model_construct(**dict(zip(COLUMNS, row, strict=True))) for row in rows]

    def last_seq(self) -> int:
        """The sequence number of the newest event (0 when empty): a bundle built from the store
        records it, so a service replays only what came after."""
        with self._lock:
            return self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]

    def activity(self, user_id: str) -> tuple[int, float, float]:
        """(events, first timestamp, last timestamp) of a user's stored events."""
        with self._lock:
            count, first, last = self._db.execute(
                "SELECT COUNT(*), MIN(timestamp), MAX(timestamp) FROM events WHERE user_id = ?",
                (str(user_id),)).fetchone()
        return count, first or 0.0, last or 0.0

    def review(self, user_id: str, status: str, reason: str) -> None:
        """Record that a user's stream is held (its events kept out of histories and retraining)
        or released by an admin (never held again by the automatic rule)."""
        with self._lock:
            self._db.execute("INSERT INTO stream_reviews VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                             "status = excluded.status, reason = excluded.reason, since = excluded.since",
                             (str(user_id), status, reason, time.time()))

    def add_items(self, items: Iterable[NewItem]) -> int:
        """Write items in one transaction (an id stored before gets the new fields); the count."""
        return self._write_many("INSERT INTO new_items (item_id, fields) VALUES (?, ?) ON CONFLICT (item_id) "
                                "DO UPDATE SET fields = excluded.fields",
                                [(item.item_id, json.dumps(item.fields, ensure_ascii=False)) for item in items])

    def new_items(self) -> list[NewItem]:
        """Every item added live, in the order first added."""
        with self._lock:
            rows = self._db.execute("SELECT item_id, fields FROM new_items ORDER BY seq").fetchall()
        return [NewItem.model_construct(item_id=item, fields=json.loads(fields)) for item, fields in rows]

    def reviews(self) -> dict[str, tuple[str, str]]:
        """user -> (status, reason) of every reviewed stream."""
        with self._lock:
            rows = self._db.execute("SELECT user_id, status, reason FROM stream_reviews").fetchall()
        return {user: (status, reason) for user, status, reason in rows}

    def delete_user(self, user_id: str) -> int:
        """Remove every event of a user and return how many there were; the write-ahead log
        is checkpointed and truncated so no copy of the rows stays in it."""
        with self._lock:
            deleted = self._db.execute("DELETE FROM events WHERE user_id = ?", (str(user_id),)).rowcount
            self._db.execute("DELETE FROM stream_reviews WHERE user_id = ?", (str(user_id),))
            if deleted:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    def _write_many(self, statement: str, rows: list[tuple]) -> int:
        """Run `statement` for every row in one transaction, committed before returning."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(statement, rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return len(rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()
