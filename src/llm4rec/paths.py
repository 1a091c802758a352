"""Where llm4rec keeps what it writes, read from the environment in this one place."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_VARIABLE = "LLM4REC_CACHE"


def cache_root() -> Path:
    """$LLM4REC_CACHE, else ~/.cache/llm4rec: downloaded data, embeddings, bundles, the ledger."""
    return Path(os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "llm4rec")
