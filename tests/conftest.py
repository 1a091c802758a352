"""Shared fixtures: the real datasets beside the checkout (../shared/data), ml-100k, and the CLI's
real entry point run in-process."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
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
def run_main(capsys, monkeypatch):
    """`llm4rec ARGS` through `main()`: (exit status, stdout + stderr). Anything but a clean
    exit (a traceback) propagates and fails the test. A wide terminal, so that an error panel
    quoting a long temporary path does not wrap the words a test looks for."""
    from llm4rec.cli.main import main

    monkeypatch.setenv("COLUMNS", "400")

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


@pytest.fixture
def stub_endpoint():
    """An OpenAI-compatible chat endpoint on loopback answering whatever `replies` holds."""
    replies, prompts = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompts.append(body["messages"][1]["content"])
            answer = json.dumps({"choices": [{"message": {"role": "assistant", "content": replies.pop(0)}}]})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1", replies, prompts
    server.shutdown()
