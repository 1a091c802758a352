"""Progress bars for long steps (rich), off in quiet and non-interactive use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.progress import track as rich_track

T = TypeVar("T")


def track(items: Iterable[T], description: str, enabled: bool = True) -> Iterator[T]:
    """Iterate with a transient progress bar when `enabled`."""
    if not enabled:
        yield from items
        return
    yield from rich_track(items, description=description, transient=True)
