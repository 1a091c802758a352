"""A missing optional package is a clear error naming the extra to install."""

from __future__ import annotations

import pytest

from llm4rec import extras
from llm4rec.errors import ConfigError


def test_a_missing_extra_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(extras.EXTRAS, "serve", ("fastapi", "no_such_package_here"))
    with pytest.raises(ConfigError, match=r"pip install 'llm4rec\[serve\]'") as error:
        extras.require("serve", "llm4rec serve")
    assert "no_such_package_here" in str(error.value) and "fastapi," not in str(error.value)
    extras.require("text", "encoding")  # installed here: no error
