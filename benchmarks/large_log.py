"""Benchmark: a large synthetic event log (power-law popularity, sessions) written to Parquet
and ingested by `load_events` into interactions, at three sizes up to 10,000,000 events over
1,000,000 users and 200,000 items. Each size runs in its own process, so its peak memory is
its own. Writes benchmarks/results/large_log.json. Run with `make bench-scale`."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = ((1_000_000, 100_000, 20_000), (3_000_000, 300_000, 60_000), (10_000_000, 1_000_000, 200_000))


def one_size(n_events: int, n_users: int, n_items: int, folder: Path) -> dict:
    from llm4rec.data.events import load_events
    from llm4rec.data.synthetic import synthetic_log

    started = time.perf_counter()
    log = synthetic_log(n_events, n_users, n_items)
    generated = time.perf_counter()
    path = folder / "events.parquet"
    log.to_parquet(path, index=False)
    written = time.perf_counter()
    del log
    dataset = load_events(path)
    ingested = time.perf_counter()
    return {"events": n_events, "users": n_users, "items": n_items,
            "generate_s": round(generated - started, 1), "write_parquet_s": round(written - generated, 1),
            "parquet_mb": round(path.stat().st_size / 2**20, 1), "ingest_s": round(ingested - written, 1),
            "rows_loaded": len(dataset.interactions), "distinct_users": dataset.interactions.n_users,
            "distinct_items": dataset.interactions.n_items,
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/large_log.json"))
    parser.add_argument("--one", nargs=3, type=int, metavar=("EVENTS", "USERS", "ITEMS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(one_size(*args.one, Path(folder))))
        return
    rows = []
    for size in SIZES:
        output = subprocess.run([sys.executable, __file__, "--one", *map(str, size)], check=True,
                                capture_output=True, text=True).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    args.out.write_text(json.dumps({"command": "python benchmarks/large_log.py", "sizes": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
