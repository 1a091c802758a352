"""A ledger of the places llm4rec wrote users' data to (bundle roots, feedback stores, HTML
reports, lists of user ids such as the suspicious users dropped), so forgetting a user can find
every one of them.

One JSON object per line in <cache root>/artefacts.jsonl, appended (a short append is atomic
on POSIX, so several processes can record at once); places that no longer exist are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from llm4rec.settings import cache_root

LEDGER = "artefacts.jsonl"
Kind = Literal["bundles", "feedback", "report", "user_list"]


def ledger_path() -> Path:
    return cache_root() / LEDGER


def record(kind: Kind, path: Path | str, **details: str) -> None:
    """Note that `path` (a bundle root, a feedback store or a report) holds users' data."""
    entry = {"kind": kind, "path": str(Path(path).resolve())} | {k: str(v) for k, v in details.items()}
    if entry in _entries():
        return
    ledger = ledger_path()
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def recorded(kind: Kind) -> list[dict[str, str]]:
    """The entries of one kind whose path still exists, newest record last, each path once."""
    latest = {e["path"]: e for e in _entries() if e.get("kind") == kind}
    return [e for e in latest.values() if Path(e["path"]).exists()]


def _entries() -> list[dict[str, str]]:
    ledger = ledger_path()
    if not ledger.exists():
        return []
    entries = []
    for line in ledger.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut by a crash mid-append: the others still count
            continue
    return entries
