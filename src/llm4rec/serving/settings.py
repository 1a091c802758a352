"""The service's settings, filled once by the CLI (options and environment) and passed to
`create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from llm4rec.retrieval.two_stage import TWO_STAGE_FROM
from llm4rec.serving.engine import CACHE_SIZE
from llm4rec.serving.security import ApiKeys


@dataclass
class ServiceSettings:
    """Everything `create_app` needs."""

    bundle_path: Path
    feedback_db: Path
    api_keys: ApiKeys = field(default_factory=ApiKeys.from_sources)
    rate_per_second: float = 50.0
    burst: int = 100
    max_body_bytes: int = 1_000_000
    pseudonymize: bool = True
    cache_size: int = CACHE_SIZE  # users whose results are cached; 0 turns the cache off
    policy: str | None = None  # an online slate policy reranking known users' candidates (llm4rec.ranking)
    open_reads: bool = False  # reads without a key (a local demo); `serve` refuses it off loopback
    pseudonym_key: bytes | None = None  # finds a forgotten user in bundles trained with --pseudonymize
    two_stage_from: int = TWO_STAGE_FROM  # catalogue size from which /recommend retrieves in two stages
    llm: str | None = None  # writes profiles on ?written=true: "default", a model folder, a .gguf, an endpoint URL
