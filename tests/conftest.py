"""Shared fixtures: the real datasets beside the checkout (../shared/data), ml-100k, and the CLI's
real entry point run in-process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llm4rec.data.split_dir import read_split_dir
from llm4rec.settings import CACHE_VARIABLE, cache_root

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """The suite writes bundles and the artefact ledger under a cache root of its own, so no test
    (`forget`, DELETE /users) can reach a developer's real bundles; downloads and embedding caches
    are the real ones, linked, so nothing is fetched or encoded twice."""
    real, cache = cache_root(), tmp_path_factory.mktemp("llm4rec-cache")
    for name in ("ml-100k", "wheels", "embeddings", "onnx"):
        (real / name).mkdir(parents=True, exist_ok=True)
        (cache / name).symlink_to(real / name, target_is_directory=True)
    patch = pytest.MonkeyPatch()
    patch.setenv(CACHE_VARIABLE, str(cache))
    yield cache
    patch.undo()


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


@pytest.fixture
def run_main(capsys):
    """`llm4rec ARGS` through `main()`: (exit status, stdout + stderr). Anything but a clean
    exit (a traceback) propagates and fails the test."""
    from llm4rec.cli.main import main

    def run(*args: str) -> tuple[int, str]:
        saved, sys.argv = sys.argv, ["llm4rec", *args]
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 0
        finally:
            sys.argv = saved
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run
