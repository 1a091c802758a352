"""Shared fixtures: the real datasets beside the checkout (../shared/data) and ml-100k."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm4rec.data.split_dir import read_split_dir

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"{SHARED_DATA} is missing: the tests read the shared datasets beside the checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def ml100k_loo(shared_data):
    split, _ = read_split_dir(shared_data / "ml-100k-loo")
    return split


@pytest.fixture(scope="session")
def ml100k():
    from llm4rec.data.movielens import load_ml100k

    return load_ml100k()
