"""Benchmark: the time of each conversation turn on ml-100k-loo (EASE bundle, MiniLM queries), after
the encoder is loaded: a request, "more like the third one", "newer", "no drama", "why #2?", 20
times over. Writes benchmarks/results/chat_latency.json. Run with `python benchmarks/chat_latency.py`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from llm4rec.data.split_dir import read_split_dir
from llm4rec.models.ease import EASE
from llm4rec.serving.bundle import load_bundle, save_bundle
from llm4rec.serving.conversation import Conversation
from llm4rec.serving.reads import ServedModel

HERE = Path(__file__).resolve().parent
TURNS = ("a romantic comedy, nothing animated", "more like the third one", "newer", "no drama", "why #2?")


def main() -> None:
    torch.set_num_threads(1)  # as the service runs
    split, _ = read_split_dir(HERE.parents[1] / "shared" / "data" / "ml-100k-loo")
    with tempfile.TemporaryDirectory() as root:
        served = ServedModel.build(load_bundle(save_bundle(EASE(l2=150.0).fit(split.train), split.train,
                                                           split.catalog, root)))
        Conversation(served).turn("warm-up: load the encoder and the catalogue's vectors")
        seconds = {turn: [] for turn in TURNS}
        for _ in range(20):
            conversation = Conversation(served)
            for turn in TURNS:
                started = time.perf_counter()
                conversation.turn(turn)
                seconds[turn].append(time.perf_counter() - started)
    report = {"command": "python " + " ".join(sys.argv), "ms": {
        turn: {"mean": round(1000 * float(np.mean(s)), 1), "max": round(1000 * float(np.max(s)), 1)}
        for turn, s in seconds.items()}}
    print(json.dumps(report, indent=2))
    (HERE / "results" / "chat_latency.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
