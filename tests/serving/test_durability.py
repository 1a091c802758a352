"""Acknowledged feedback survives the server being killed with SIGKILL mid-stream."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from llm4rec.serving.feedback_store import FeedbackStore

API_KEY = "durability-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(bundle_root, feedback_db, port: int) -> subprocess.Popen:
    env = os.environ | {"LLM4REC_API_KEYS": API_KEY}
    command = [str(Path(sys.executable).parent / "llm4rec"), "serve", "--model-dir", str(bundle_root),
               "--feedback-db", str(feedback_db), "--port", str(port), "--rate", "100000"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"server exited: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("server did not start within 120 s")


def test_no_acknowledged_event_is_lost_after_kill_9(bundle_root, tmp_path):
    feedback_db, port = tmp_path / "feedback.sqlite", free_port()
    server = start_server(bundle_root, feedback_db, port)
    acknowledged: list[str] = []
    stop = threading.Event()

    def stream(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": API_KEY}) as client:
            for n in range(100_000):
                if stop.is_set():
                    return
                marker = f"w{worker}-{n}"
                try:
                    response = client.post("/feedback", json={"user_id": "1", "item_id": "50", "session_id": marker})
                except httpx.TransportError:
                    return  # the server died: this write was never acknowledged
                if response.status_code == 200:
                    acknowledged.append(marker)

    writers = [threading.Thread(target=stream, args=(w,)) for w in range(3)]
    for writer in writers:
        writer.start()
    while len(acknowledged) < 200:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    for writer in writers:
        writer.join()
    stored = {event.session_id for event in FeedbackStore(feedback_db).events("1")}
    missing = [marker for marker in acknowledged if marker not in stored]
    assert len(acknowledged) >= 200 and not missing


def test_acknowledged_events_of_any_timestamp_are_served_after_kill_9(bundle_root, tmp_path):
    """Late, early (before the bundle's last training event) and skewed clocks alike: replay follows
    what the store received, not the events' own time."""
    feedback_db, port = tmp_path / "feedback.sqlite", free_port()
    events = [{"user_id": "ts-new-user", "item_id": "50", "timestamp": 880000000},
              {"user_id": "ts-late-user", "item_id": "181", "timestamp": 4e9},
              {"user_id": "ts-now-user", "item_id": "1"}]
    headers = {"X-API-Key": API_KEY}
    server = start_server(bundle_root, feedback_db, port)
    try:
        receipt = httpx.post(f"http://127.0.0.1:{port}/feedback", json={"events": events}, headers=headers)
        assert receipt.json() == {"stored": 3, "applied": 3, "unknown_event_types": [], "held": 0}
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    server = start_server(bundle_root, feedback_db, port)
    try:
        for event in events:
            answer = httpx.get(f"http://127.0.0.1:{port}/recommend/{event['user_id']}?k=5", headers=headers)
            assert answer.status_code == 200 and event["item_id"] not in [i["item_id"] for i in answer.json()["items"]]
    finally:
        server.kill()
        server.wait()
