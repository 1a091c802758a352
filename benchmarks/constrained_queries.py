"""Benchmark: queries with structure (negations, year ranges, similar-to) on ml-100k-loo. For each
labelled query in benchmarks/queries/constrained_queries.json: the share of the top 10 that meets
the query's constraint (checked against the catalogue's genres and years, independently of the
parser), and the share with a wanted genre, for the query path (parser + text + filters) against
plain text similarity to the whole query; and for each labelled conversation (`conversations`:
several turns, "after 1990", "no drama"), the same shares for the last turn's list of the
conversation path (`serving.conversation`, as `POST /chat` runs it) against plain text similarity
to all the turns joined. The multilingual encoder, as for a catalogue whose readers write in
both languages. Writes benchmarks/results/constrained_queries.json.
Run with `python benchmarks/constrained_queries.py`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.models.base import top_k
from llm4rec.models.ease import EASE
from llm4rec.profiles.summary import item_years
from llm4rec.serving.bundle import load_bundle, save_bundle
from llm4rec.serving.reads import ServedModel, query_encoder

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"
ENCODER = "use-multilingual"
K = 10


def meets(must: dict, genres: list[set[str]], years: np.ndarray, ranked: list[int]) -> float:
    ok = [not (set(must.get("exclude", [])) & genres[i]) and must.get("year_min", -np.inf) <= years[i]
          <= must.get("year_max", np.inf) for i in ranked]
    return float(np.mean(ok))


def main() -> None:
    from llm4rec.serving.conversation import Conversation

    labelled_file = json.loads((HERE / "queries" / "constrained_queries.json").read_text())
    labelled, dialogues = labelled_file["queries"], labelled_file["conversations"]
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    with tempfile.TemporaryDirectory() as root:
        folder = save_bundle(EASE(l2=150.0).fit(split.train), split.train, split.catalog, root, text_encoder=ENCODER)
        served = ServedModel.build(load_bundle(folder))
        items = served.bundle.interactions.items
        rows = served.bundle.catalog.aligned(items)
        genres = [set(str(g).split("|")) for g in rows["genres"].fillna("")]
        years = item_years(rows)
        vectors = served.query_vectors()
        def plain_top(text: str) -> list[int]:
            return top_k((vectors @ query_encoder(ENCODER).encode([text])[0])[None, :], K)[0][0].tolist()

        def conversation(turns: list[str]):
            talk = Conversation(served, K)
            for turn in turns:
                reply = talk.turn(turn)
            return reply.ranked

        results = []
        for entry in labelled + dialogues:
            text = entry.get("query") or " ".join(entry["turns"])
            parsed = served.recommend_query(text, K) if "query" in entry else conversation(entry["turns"])
            ranked = items.indices(parsed.item_ids).tolist()
            plain = plain_top(text)
            results.append({
                "query" if "query" in entry else "turns": entry.get("query") or entry["turns"],
                "understood": parsed.constraints,
                "constraint_met": {"query path": meets(entry["must"], genres, years, ranked),
                                   "plain text similarity": meets(entry["must"], genres, years, plain)},
                "wanted_genre": {"query path": float(np.mean([bool(set(entry["want"]) & genres[i]) for i in ranked])),
                                 "plain text similarity": float(np.mean([bool(set(entry["want"]) & genres[i])
                                                                         for i in plain]))},
            })
    summary = {}
    for kind, rows in (("queries", [r for r in results if "query" in r]),
                       ("conversations", [r for r in results if "turns" in r])):
        summary[kind] = {key: {path: round(float(np.mean([r[key][path] for r in rows])), 3)
                               for path in ("query path", "plain text similarity")}
                         for key in ("constraint_met", "wanted_genre")}
        summary[kind] |= {"count": len(rows), "all_met": sum(r["constraint_met"]["query path"] == 1.0 for r in rows)}
    print(json.dumps(summary, indent=2))
    out = HERE / "results" / "constrained_queries.json"
    out.write_text(json.dumps({"command": "python " + " ".join(sys.argv), "encoder": ENCODER, "k": K,
                               "summary": summary, "queries": results}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
