"""ANN retrieval at catalogue scale: llm4rec's VectorIndex (faiss HNSW + exact re-scoring).

Vectors shaped like real item embeddings: the MiniLM embeddings of the real catalogues
beside the checkout (ml-100k, ml-latest-small, amazon-office: ~14k items) are the seeds; each
synthetic item is a seed moved along the seeds' own top principal directions (scaled by
their spread) plus a little isotropic noise, so the set keeps the low intrinsic dimension
of real text embeddings. Uniform random unit vectors, a worst case no catalogue looks like,
are measured too.

Reported: build seconds, index memory, and for each efSearch the recall@10 against exact
search and queries/s on one core, one query at a time.

    python benchmarks/ann_retrieval.py --n 1000000 --out benchmarks/results/ann.json
"""

from __future__ import annotations

import argparse
import json
import resource
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
            ef_construction: int) -> dict:
    truth = exact_top10(vectors, queries)
    faiss.omp_set_num_threads(2)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    index = VectorIndex(vectors, exact_below=0, m=m, ef_construction=ef_construction)
    build = time.perf_counter() - started
    graph_bytes = faiss.serialize_index(index.graph).nbytes
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
        print(name, rows[-1], flush=True)
    return {"data": name, "n": len(vectors), "d": vectors.shape[1], "m": m, "ef_construction": ef_construction,
            "build_seconds": round(build, 1), "index_mb": round(graph_bytes / 2**20),
            "peak_rss_growth_mb": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024),
            "searches": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef", default="16,32,64,128")
    parser.add_argument("--skip-uniform", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ann.json"))
    args = parser.parse_args()
    ef_values = [int(v) for v in args.ef.split(",")]
    rng = np.random.default_rng(0)
    seeds = real_embeddings()
    results = [measure("embedding-like", embedding_like(seeds, args.n, rng), embedding_like(seeds, args.queries, rng),
                       ef_values, args.m, args.ef_construction)]
    if not args.skip_uniform:
        d = seeds.shape[1]
        results.append(measure("uniform-random", uniform(args.n, d, rng), uniform(args.queries, d, rng), ef_values,
                               args.m, args.ef_construction))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "seeds": len(seeds),
                                    "results": results}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
