"""Progress bars for long steps (rich); one at a time, so nested steps stay quiet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.progress import track as rich_track

T = TypeVar("T")
_active = False  # rich allows one live display; an inner loop runs without its own bar


def track(items: Iterable[T], description: str, enabled: bool = True) -> Iterator[T]:
    """Iterate with a transient progress bar when `enabled` and no other bar is showing."""
    global _active
    if not enabled or _active:
        yield from items
        return
    _active = True
    try:
        yield from rich_track(items, description=description, transient=True)
    finally:
        _active = False
