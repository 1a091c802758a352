"""Benchmark: text queries in Chinese and English on an English catalogue (ml-100k) and a Chinese
one (caixin), ranked by the query alone (an anonymous visitor) with each encoder; precision@5 of
the labelled queries in benchmarks/queries/labelled_queries.json (a relevant item has the
query's genre, or one of its words in the title). Writes benchmarks/results/query_languages.json.
Run with `python benchmarks/query_languages.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.models.base import top_k
from llm4rec.models.item_features import text_vectors
from llm4rec.text.encoder import TextEncoder

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"
ENCODERS = ("all-MiniLM-L6-v2", "use-multilingual")
K = 5


def relevant(query: dict, titles: list[str], genres: list[str]) -> list[bool]:
    if "genres" in query:
        return [bool(set(g.split("|")) & set(query["genres"])) for g in genres]
    return [any(word in title for word in query["words"]) for title in titles]


def run(dataset: str, queries: list[dict]) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    items = split.train.items
    frame = split.catalog.aligned(items)
    titles = split.catalog.titles(items.ids)
    genres = frame["genres"].fillna("").astype(str).tolist() if "genres" in frame else [""] * len(titles)
    entry = {}
    for encoder in ENCODERS:
        vectors = text_vectors(split.catalog, items, encoder, None, "query")
        encoded = TextEncoder(encoder, cache=False, show_progress=False).encode([q["query"] for q in queries])
        top, _ = top_k(encoded @ vectors.T, K)
        rows = []
        for query, ranked in zip(queries, top, strict=True):
            hits = relevant(query, [titles[i] for i in ranked], [genres[i] for i in ranked])
            rows.append({"query": query["query"], "language": query["language"], "precision@5": sum(hits) / K,
                         "top5": [titles[i] for i in ranked]})
        by_language = {language: round(float(np.mean([r["precision@5"] for r in rows if r["language"] == language])), 3)
                       for language in sorted({q["language"] for q in queries})}
        entry[encoder] = {"precision@5": by_language, "queries": rows}
        print(dataset, encoder, by_language, flush=True)
    return entry


def main() -> None:
    labelled = json.loads((HERE / "queries" / "labelled_queries.json").read_text())
    report = {"command": "python " + " ".join(sys.argv), "k": K,
              "datasets": {name: run(name, queries) for name, queries in labelled.items() if name != "about"}}
    (HERE / "results" / "query_languages.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
