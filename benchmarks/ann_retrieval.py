"""ANN retrieval at catalogue scale: llm4rec's VectorIndex (faiss HNSW + exact re-scoring).

Vectors shaped like real item embeddings: the MiniLM embeddings of the real catalogues
beside the checkout (ml-100k, ml-latest-small, amazon-office: ~14k items) are the seeds; each
synthetic item is a seed moved along the seeds' own top principal directions (scaled by
their spread) plus a little isotropic noise, so the set keeps the low intrinsic dimension
of real text embeddings. Uniform random unit vectors, a worst case no catalogue looks like,
are measured too.

Reported: build seconds, index memory, the process's peak memory, and for each efSearch the
recall@10 against exact search and queries/s on one core, one query at a time. Each size and
index kind runs in its own process, so its peak memory is its own. Kinds: "hnsw" (float
vectors, exact re-scoring) and "hnsw-int8" (8-bit codes, a quarter of the memory, for
catalogues whose float vectors do not fit).

    python benchmarks/ann_retrieval.py --sizes 1000000 --out benchmarks/results/ann.json
    python benchmarks/ann_retrieval.py --sizes 100000,1000000,5000000 --skip-uniform \
        --out benchmarks/results/ann_scale.json
    python benchmarks/ann_retrieval.py --sizes 5000000 --float-up-to 5000000 --int8-from 10000000 \
        --skip-uniform --update --out benchmarks/results/ann_scale.json  # float at 5M: ~17 GB peak
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.models.item_features import text_vectors
from llm4rec.retrieval.index import VectorIndex

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CATALOGUES = ("ml-100k-loo", "ml-latest-small-loo", "amazon-office-loo")


def real_embeddings() -> np.ndarray:
    parts = []
    for name in CATALOGUES:
        split, _ = read_split_dir(SHARED / name)
        parts.append(text_vectors(split.catalog, split.train.items, None, None, "benchmark"))
    return np.concatenate(parts)


def embedding_like(seeds: np.ndarray, n: int, rng: np.random.Generator, rank: int = 32, spread: float = 0.5,
                   noise: float = 0.01) -> np.ndarray:
    """n unit vectors: random seeds moved along the seeds' top `rank` principal directions."""
    centred = seeds - seeds.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)
    scale = (singular[:rank] / np.sqrt(len(seeds)))[:, None] * directions[:rank]
    out = np.empty((n, seeds.shape[1]), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        block = seeds[rng.integers(0, len(seeds), m)] + spread * rng.normal(size=(m, rank)) @ scale
        block += noise * rng.normal(size=block.shape)
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def uniform(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    vectors = rng.normal(size=(n, d)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_top10(vectors: np.ndarray, queries: np.ndarray, batch: int = 50) -> np.ndarray:
    """Ground truth by exact search, a few queries at a time (2,000 x 1M scores is 8 GB)."""
    exact = VectorIndex(vectors, exact_below=len(vectors) + 1)
    return np.concatenate([exact.search(queries[i:i + batch], 10)[0] for i in range(0, len(queries), batch)])


def measure(name: str, vectors: np.ndarray, queries: np.ndarray, ef_values: list[int], m: int,
            ef_construction: int, compress: bool) -> dict:
    truth = exact_top10(vectors, queries)
    faiss.omp_set_num_threads(2)
    started = time.perf_counter()
    index = VectorIndex(vectors, exact_below=0, m=m, ef_construction=ef_construction, compress=compress)
    build = time.perf_counter() - started
    faiss.omp_set_num_threads(1)  # queries: one core, one query at a time
    rows = []
    for ef in ef_values:
        index.ef_search = ef
        found = np.empty_like(truth)
        started = time.perf_counter()
        for i, query in enumerate(queries):
            found[i] = index.search(query[None, :], 10)[0][0]
        seconds = time.perf_counter() - started
        recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))
        rows.append({"ef_search": ef, "recall@10": round(recall, 4), "queries_per_s": round(len(queries) / seconds)})
        print(name, len(vectors), index.kind, rows[-1], file=sys.stderr, flush=True)
    return {"data": name, "n": len(vectors), "d": vectors.shape[1], "kind": index.kind, "m": m,
            "ef_construction": ef_construction, "build_seconds": round(build, 1),
            "index_mb": round(index.memory_bytes / 2**20),
            "vectors_mb": round(vectors.nbytes / 2**20),
            "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "searches": rows}


def one_run(data: str, n: int, kind: str, args: argparse.Namespace) -> dict:
    """One size and kind, vectors and queries drawn afresh from the same seed."""
    rng, query_rng = np.random.default_rng(0), np.random.default_rng(1)  # same queries at every size
    if data == "embedding-like":
        seeds = real_embeddings()
        vectors, queries = embedding_like(seeds, n, rng), embedding_like(seeds, args.queries, query_rng)
    else:
        vectors, queries = uniform(n, 384, rng), uniform(args.queries, 384, query_rng)
    return measure(data, vectors, queries, [int(v) for v in args.ef.split(",")], args.m, args.ef_construction,
                   kind == "hnsw-int8")


def runs(args: argparse.Namespace) -> list[tuple[str, int, str]]:
    """(data, size, kind) to measure: float HNSW up to --float-up-to items, int8 from --int8-from;
    uniform vectors (the worst case) at the first size, float only."""
    sizes = [int(v) for v in args.sizes.split(",")]
    plan = [("embedding-like", n, kind) for n in sizes for kind, wanted in
            (("hnsw", n <= args.float_up_to), ("hnsw-int8", n >= args.int8_from)) if wanted]
    return plan if args.skip_uniform else [*plan, ("uniform-random", sizes[0], "hnsw")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000", help="comma-separated item counts")
    parser.add_argument("--float-up-to", type=int, default=1_000_000,
                        help="largest size for the float index (at 5M: 8.6 GB index, 16.5 GB peak while building)")
    parser.add_argument("--int8-from", type=int, default=1_000_000, help="smallest size for the int8 index")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef", default="16,32,64,128,256")
    parser.add_argument("--skip-uniform", action="store_true")
    parser.add_argument("--one", nargs=3, metavar=("DATA", "N", "KIND"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ann.json"))
    parser.add_argument("--update", action="store_true", help="keep --out's other results, replace these")
    args = parser.parse_args()
    if args.one:
        data, n, kind = args.one
        print(json.dumps(one_run(data, int(n), kind, args)))
        return
    results = json.loads(args.out.read_text())["results"] if args.update and args.out.exists() else []
    for data, n, kind in runs(args):
        results = [r for r in results if (r["data"], r["n"], r["kind"]) != (data, n, kind)]
        output = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--one", data, str(n), kind], check=True,
                                stdout=subprocess.PIPE, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]) | {"command": "python " + " ".join(sys.argv)})
        results.sort(key=lambda r: (r["data"], r["n"], r["kind"]))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"results": results}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
