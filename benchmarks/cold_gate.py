"""Benchmark: the hybrid blend's cold gate. Warm: the tuned hybrid with and without the gate on
each split's test (paired difference of NDCG@10). Cold: the item cold-start protocol (20 % of items
lose every training interaction; test cases whose target is one of them, ranked among every item),
the hybrid with and without the gate beside the text-only model, default settings.
Writes benchmarks/results/cold_gate.json. Run with `python benchmarks/cold_gate.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.cold_start import item_cold_start
from llm4rec.evaluation.intervals import paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.evaluation.ranking import evaluate
from llm4rec.models.registry import MODELS, create_model

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"


def run(dataset: str) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    space = MODELS["hybrid"].search_space()
    warm = {gate: tune_and_test("hybrid", split, grid=[p | {"cold_gate": gate} for p in space])
            for gate in (False, True)}
    reduced, cases, cold = item_cold_start(split)
    models = {"text": create_model("text"), "hybrid, no gate": create_model("hybrid", cold_gate=False),
              "hybrid, gate": create_model("hybrid", cold_gate=True)}
    cold_rows = {}
    for label, model in models.items():
        summary = evaluate(model.fit(reduced.train_valid(), reduced.catalog), cases).summary
        cold_rows[label] = {m: round(summary[m], 4) for m in ("HR@10", "NDCG@10")}
        print(dataset, "cold", label, cold_rows[label], flush=True)
    per_case = {gate: r.test_evaluation.per_case["NDCG@10"] for gate, r in warm.items()}
    entry = {"warm": {"no gate": round(warm[False].test["NDCG@10"], 4),
                      "gate": round(warm[True].test["NDCG@10"], 4),
                      "gate - no gate": paired_difference_ci(per_case[True], per_case[False])},
             "cold (ranked among every item)": cold_rows, "cold_cases": len(cases)}
    print(dataset, "warm", entry["warm"], flush=True)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo")
    args = parser.parse_args()
    report = {"command": "python " + " ".join(sys.argv), "datasets": {d: run(d) for d in args.datasets.split(",")}}
    (HERE / "results" / "cold_gate.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
