"""Benchmark: TextEncoder.encode (cache off) against a plain SentenceTransformer.encode on the
same texts (ml-100k item texts); the target ratio is >= 0.9. Also the cached re-run time.
Run with `make bench-encoder`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sentence_transformers import SentenceTransformer

from llm4rec.data.split_dir import read_split_dir
from llm4rec.text.encoder import TextEncoder, default_model_path
from llm4rec.text.templates import ItemTextTemplate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/encoder.json"))
    args = parser.parse_args()
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    texts = ItemTextTemplate().render(split.catalog, split.train.items)
    plain = SentenceTransformer(str(default_model_path()), device="cpu")
    ours = TextEncoder(cache=False, show_progress=False)
    ours._model = plain  # the same loaded weights: the comparison is of the encode path only
    plain.encode(texts[:64])  # warm-up
    plain_seconds = min(timed(lambda: plain.encode(texts, batch_size=64, normalize_embeddings=True))
                        for _ in range(2))
    ours_seconds = min(timed(lambda: ours.encode(texts)) for _ in range(2))
    cached = TextEncoder(show_progress=False)
    cached._model = plain
    cached.encode(texts)
    cached_seconds = timed(lambda: cached.encode(texts))
    result = {"texts": len(texts), "plain_texts_per_s": round(len(texts) / plain_seconds, 1),
              "llm4rec_texts_per_s": round(len(texts) / ours_seconds, 1),
              "ratio": round(plain_seconds / ours_seconds, 3), "cached_rerun_seconds": round(cached_seconds, 3)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
