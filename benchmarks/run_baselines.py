"""Benchmark: the classic baselines on every shared split, plus the quickstart's wall time
(with the baselines only, and the default with the text-aware models).

Writes one contract JSON, details JSON and markdown report per dataset under
benchmarks/results/, and a summary JSON (`--out`). Run with `make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("ml-100k-loo", "ml-latest-small-loo", "amazon-office-loo")
CLI = Path(sys.executable).with_name("llm4rec")


def run(command: list[str]) -> float:
    """Run a command, fail loudly, return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/baselines.json"))
    parser.add_argument("--models", default="pop,itemknn,ease,als,bpr")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    folder = args.out.parent
    summary: dict = {"machine": {"cpus": os.cpu_count()}, "datasets": {}}
    for name in args.datasets.split(","):
        out = folder / f"{name}.json"
        seconds = run([str(CLI), "evaluate", "--split-dir", str(SHARED / name), "--models", args.models,
                       "--out", str(out)])
        results = json.loads(out.read_text())
        summary["datasets"][name] = {
            "wall_seconds": round(seconds, 1),
            "models": {m: {"HR@10": r["test"]["HR@10"], "NDCG@10": r["test"]["NDCG@10"],
                           "fit_seconds": r["fit_seconds"], "params": r["params"]} for m, r in results.items()},
        }
    baselines_only = ["--models", "pop,itemknn,ease,als,bpr", "--out-dir", str(folder / "quickstart-baselines")]
    summary["quickstart_baselines_only_seconds"] = round(run([str(CLI), "quickstart", *baselines_only]), 1)
    summary["quickstart_seconds"] = round(run([str(CLI), "quickstart", "--out-dir", str(folder / "quickstart")]), 1)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
