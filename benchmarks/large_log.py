"""Benchmark: a large synthetic event log (power-law popularity, sessions) written to Parquet,
CSV, gzipped CSV or JSON lines and ingested by `load_events` into interactions (batch by batch:
data.arrow_events), at sizes up to 100,000,000 events over 5,000,000 users and 1,000,000 items. The log is generated
and written in chunks of CHUNK events (each chunk its own seed), so writing never holds the
whole log. Each size runs in its own process, so its peak memory is its own: that of ingest,
since the writer's chunks are freed first (the figure is the process's high-water mark, so it
covers the writing too). Writes benchmarks/results/large_log.json (`--format csv`:
large_log_csv.json, `csv.gz`: large_log_csv_gz.json, `jsonl`: large_log_jsonl.json; `--via-text`:
the same name ending _via_text), keeping the rows of sizes not run. Run with `make bench-scale`."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = ((1_000_000, 100_000, 20_000), (3_000_000, 300_000, 60_000), (10_000_000, 1_000_000, 200_000),
         (30_000_000, 2_000_000, 500_000), (100_000_000, 5_000_000, 1_000_000))
CHUNK = 5_000_000
FORMATS = ("parquet", "csv", "csv.gz", "jsonl")


class ChunkWriter:
    """Appends chunks of the log to one file in `kind`'s format."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind, self.writer, self.sink = path, kind, None, None

    def write(self, frame) -> None:
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        if self.kind == "jsonl":  # Arrow has no JSON writer
            with self.path.open("a") as file:
                frame.to_json(file, orient="records", lines=True)
            return
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            if self.kind == "csv.gz":
                self.sink = pa.CompressedOutputStream(str(self.path), "gzip")
            self.writer = (pq.ParquetWriter(self.path, table.schema) if self.kind == "parquet"
                           else pacsv.CSVWriter(self.sink or self.path, table.schema))
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.sink is not None:  # the writer leaves a stream it was given open
            self.sink.close()


def results_file(kind: str, via_text: bool) -> Path:
    name = "large_log" + ("" if kind == "parquet" else f"_{kind.replace('.', '_')}") + ("_via_text" if via_text else "")
    return Path("benchmarks/results") / f"{name}.json"


def one_size(n_events: int, n_users: int, n_items: int, folder: Path, kind: str, via_text: bool = False) -> dict:
    from llm4rec.data import events
    from llm4rec.data.synthetic import synthetic_log

    if via_text:  # what ingest cost before the batched path: every cell a string in one table
        events._batch_source = lambda *args: None

    started = time.perf_counter()
    path = folder / f"events.{kind}"
    writer = ChunkWriter(path, kind)
    for seed, start in enumerate(range(0, n_events, CHUNK)):
        writer.write(synthetic_log(min(CHUNK, n_events - start), n_users, n_items, seed=seed))
    writer.close()
    written = time.perf_counter()  # generated and written chunk by chunk
    dataset = events.load_events(path)
    ingested = time.perf_counter()
    return {"events": n_events, "users": n_users, "items": n_items,
            "generate_and_write_s": round(written - started, 1),
            f"{kind.replace('.', '_')}_mb": round(path.stat().st_size / 2**20, 1),
            "ingest_s": round(ingested - written, 1),
            "rows_loaded": len(dataset.interactions), "distinct_users": dataset.interactions.n_users,
            "distinct_items": dataset.interactions.n_items,
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--format", choices=FORMATS, default="parquet")
    parser.add_argument("--out", type=Path, help="default benchmarks/results/large_log.json "
                        "(others: large_log_FORMAT.json, the dot an underscore)")
    parser.add_argument("--events", help="sizes to run (events, comma-separated), of "
                        + ", ".join(f"{size[0]:,}" for size in SIZES))
    parser.add_argument("--via-text", action="store_true",
                        help="read through the text reader instead of Arrow batches (the path before)")
    parser.add_argument("--one", nargs=3, type=int, metavar=("EVENTS", "USERS", "ITEMS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as folder:
            print(json.dumps(one_size(*args.one, Path(folder), args.format, args.via_text)))
        return
    rows = []
    wanted = {int(n) for n in args.events.split(",")} if args.events else {size[0] for size in SIZES}
    for size in (size for size in SIZES if size[0] in wanted):
        command = [sys.executable, __file__, "--format", args.format, "--one", *map(str, size),
                   *(["--via-text"] if args.via_text else [])]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    out = args.out or results_file(args.format, args.via_text)
    command = "python benchmarks/large_log.py" + (f" --format {args.format}" if args.format != "parquet" else "") + (
        " --via-text" if args.via_text else "")
    # the sizes not run this time keep their rows from the file
    previous = json.loads(out.read_text()) if out.exists() else {"sizes": []}
    rows = sorted([row for row in previous["sizes"] if row["events"] not in wanted] + rows,
                  key=lambda row: row["events"])
    out.write_text(json.dumps(previous | {"command": command, "sizes": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
