"""One typed settings object: the environment read in one place, options passed down in a scope,
never written to the process environment (issue: one read path)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llm4rec.errors import ConfigError
from llm4rec.settings import Settings, overridden, settings

SOURCE = Path(__file__).resolve().parents[1] / "src" / "llm4rec"


def test_settings_come_from_the_environment_typed_and_checked():
    current = Settings.from_environment({"LLM4REC_CACHE": "/tmp/x", "LLM4REC_ENCODER_BACKEND": "onnx",
                                         "LLM4REC_API_KEYS": "k1,k2"})
    assert current.cache == Path("/tmp/x") and current.encoder_backend == "onnx"
    assert "k1" not in repr(current)  # secrets never print
    with pytest.raises(ConfigError, match="LLM4REC_ENCODER_BACKEND"):
        Settings.from_environment({"LLM4REC_ENCODER_BACKEND": "gpu"})


def test_a_scope_overrides_and_restores():
    before = settings()
    with overridden(encoder_backend="onnx-int8", ray=None) as inside:
        assert inside.encoder_backend == "onnx-int8" and settings().encoder_backend == "onnx-int8"
        assert settings().ray == before.ray  # None leaves a setting as it is
    assert settings() == before
    with pytest.raises(ConfigError, match="encoder_backend"), overridden(encoder_backend="gpu"):
        pass


def test_nothing_in_the_library_or_cli_writes_the_environment_or_reads_it_elsewhere():
    for path in SOURCE.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"os\.environ\[[^\]]+\]\s*=|os\.environ\.(setdefault|pop|update)|putenv", text), path
        if path.name != "settings.py":
            assert "os.environ" not in text and "getenv" not in text, path
