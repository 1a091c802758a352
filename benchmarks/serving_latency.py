"""Latency and throughput of `llm4rec serve` on loopback, ml-100k.

The server runs as `llm4rec serve` in its own process, pinned to core 0 when `taskset` is
there; this process is the load generator, pinned to core 1. Load is open-loop: request i
is due at start + i / rate and its latency is counted from that moment, so a server (or
client) falling behind shows up as latency instead of quietly lowering the rate.

Measured per model: GET /recommend/{user} at 200 requests/s with the result cache off
(every request computed), the same with cached repeats, and the highest rate (cache off)
whose p99 stays within 100 ms.

    python benchmarks/serving_latency.py --out benchmarks/results/serving.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

BIN = Path(sys.executable).parent
MODELS = {"ease": '{"l2": 150}', "seqhybrid": "{}"}
RATES = (200, 400, 600, 800, 1200, 1600, 2400)


def pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and os.cpu_count() >= 2 else []


def ensure_bundle(model: str, params: str, root: Path) -> Path:
    if not list((root / model).glob("*/manifest.json")):
        subprocess.run([BIN / "llm4rec", "train", "--data", "ml-100k", "--model", model, "--params", params,
                        "--out", str(root)], check=True)
    return root / model


def start_server(bundle: Path, port: int, cache_size: int, workdir: Path) -> subprocess.Popen:
    command = pin(0) + [str(BIN / "llm4rec"), "serve", "--model-dir", str(bundle), "--port", str(port),
                        "--cache-size", str(cache_size), "--feedback-db", str(workdir / "feedback.sqlite")]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start")


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams.

    Written by hand on purpose: httpx adds about a millisecond of client CPU per request,
    as much as the latencies being measured; this costs tens of microseconds.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def get(self, path: str) -> int:
        """Send GET path, read the whole response, return its status."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await self.reader.readexactly(length)
        return status


async def open_loop(port: int, paths: list[str], rate: float, connections: int = 64) -> dict[str, float]:
    """Send paths[i] at start + i / rate over a pool of keep-alive connections; latency is
    counted from the due time; percentiles in ms."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(port))
    latencies, errors = [], 0

    async def one(path: str, due: float) -> None:
        nonlocal errors
        connection = await pool.get()
        try:
            errors += await connection.get(path) != 200
        except (OSError, asyncio.IncompleteReadError):
            errors += 1
            connection = await Connection.open(port)
        pool.put_nowait(connection)
        latencies.append(time.perf_counter() - due)

    start = time.perf_counter() + 0.1
    tasks = []
    for i, path in enumerate(paths):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(path, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().writer.close()
    ms = 1000 * np.asarray(latencies)
    return {"rate": rate, "requests": len(paths), "achieved_rate": round(len(paths) / elapsed, 1), "errors": errors,
            "p50_ms": round(float(np.percentile(ms, 50)), 3), "p90_ms": round(float(np.percentile(ms, 90)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3), "max_ms": round(float(ms.max()), 3)}


def user_paths(users: list[str], n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"/recommend/{users[i]}?k=10" for i in rng.integers(0, len(users), n)]


def measure(model: str, bundle: Path, seconds: float, workdir: Path) -> dict:
    users = [str(u) for u in range(1, 944)]  # ml-100k user ids
    results: dict = {"model": model}
    port = free_port()
    server = start_server(bundle, port, cache_size=0, workdir=workdir)
    try:
        asyncio.run(open_loop(port, user_paths(users, 200, 0), 200))  # warm-up
        results["uncached_200rps"] = asyncio.run(open_loop(port, user_paths(users, int(200 * seconds), 1), 200))
        results["max_rate"] = []
        for rate in RATES:
            step = asyncio.run(open_loop(port, user_paths(users, int(rate * seconds / 2), rate), rate))
            results["max_rate"].append(step)
            print(model, step, flush=True)
            if step["p99_ms"] > 100 or step["achieved_rate"] < 0.95 * rate or step["errors"]:
                break
        within = [s["rate"] for s in results["max_rate"]
                  if s["p99_ms"] <= 100 and s["achieved_rate"] >= 0.95 * s["rate"] and not s["errors"]]
        results["highest_rate_p99_within_100ms"] = max(within, default=None)
    finally:
        server.kill()
        server.wait()
    port = free_port()
    server = start_server(bundle, port, cache_size=100_000, workdir=workdir)
    try:
        asyncio.run(open_loop(port, [f"/recommend/{u}?k=10" for u in users], 400))  # fill the cache
        results["cached_200rps"] = asyncio.run(open_loop(port, user_paths(users, int(200 * seconds), 2), 200))
        # the floor on this machine: the same stack answering GET /health, no model involved
        results["health_200rps"] = asyncio.run(open_loop(port, ["/health"] * int(200 * seconds), 200))
    finally:
        server.kill()
        server.wait()
    print(model, {k: v for k, v in results.items() if k != "max_rate"}, flush=True)
    return results


BARE_APP = """
import uvicorn
from fastapi import FastAPI
app = FastAPI()

@app.get("/ping")
async def ping() -> dict:
    return {"ok": True}

uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def bare_fastapi(seconds: float) -> dict:
    """The floor of the measurement: a bare FastAPI endpoint, same server stack and client."""
    port = free_port()
    server = subprocess.Popen(pin(0) + [sys.executable, "-c", BARE_APP.replace("{port}", str(port))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        return asyncio.run(open_loop(port, ["/ping"] * int(200 * seconds), 200))
    finally:
        server.kill()
        server.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/serving.json"))
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each 200 requests/s run")
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    cache = Path(os.environ.get("LLM4REC_CACHE", Path.home() / ".cache" / "llm4rec"))
    root, workdir = cache / "benchmark-bundles", cache / "benchmark-serving"
    workdir.mkdir(parents=True, exist_ok=True)
    if pin(1):
        os.sched_setaffinity(0, {1})  # the load generator on core 1, the server on core 0
    results = [measure(m, ensure_bundle(m, MODELS[m], root), args.seconds, workdir) for m in args.models.split(",")]
    reference = bare_fastapi(args.seconds)
    print("bare FastAPI endpoint", reference)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "cpu_count": os.cpu_count(),
                                    "bare_fastapi_200rps": reference, "results": results}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
