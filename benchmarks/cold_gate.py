"""Benchmark: the cold gates of the hybrid blend and of the ensemble (the default model).

Hybrid. Warm: the tuned hybrid with and without the gate on each split's test (paired difference
of NDCG@10). Cold: the item cold-start protocol (20 % of items lose every training interaction;
test cases whose target is one of them, ranked among every item), the hybrid with and without the
gate beside the text-only model, default settings.

Ensemble. The members, settings and weights the `--models all` results file chose on valid
(benchmarks/results/models_all/<dataset>/results.json), fitted once on train+valid (warm: the
split's test) and once on the cold-start protocol's reduced train+valid (cold), each scored with
and without the gate (the same fitted members), beside the text member alone. In the cold-start
protocol the test cases whose target kept its interactions are scored too ("warm targets, cold
protocol"): there a fifth of the catalogue is new, so what the gate gives new items is paid by
the warm targets, which the split's own test (almost no new items) cannot show. `--share 0.02`
makes 2 % of the items new instead (the cold protocol only).

Writes benchmarks/results/cold_gate.json. Run with `python benchmarks/cold_gate.py
[--parts hybrid,ensemble]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.cold_start import item_cold_start
from llm4rec.evaluation.intervals import paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.base import FitCache
from llm4rec.models.ensemble import Ensemble, Member, member_key
from llm4rec.models.registry import MODELS, create_model

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"
DEFAULT_SHARE = 0.2  # of items made new by the cold-start protocol


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


def run_ensemble(dataset: str, share: float = DEFAULT_SHARE) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    chosen = json.loads((HERE / "results" / "models_all" / dataset / "results.json").read_text())
    members = [Member(**m) for m in chosen["ensemble"]["params"]["members"]]
    text_member = next(m for m in members if m.model == "text")
    reduced, cold_cases, cold_items = item_cold_start(split, share)
    warm_targets = split.test.select(~np.isin(split.test.item_index, cold_items))
    entry = {"members": {m.model: m.weight for m in members}}
    # (fitted on, [(row name, test cases)]): each fit scored on every case set beside it
    parts = [(reduced, [("cold (ranked among every item)", cold_cases),
                        ("warm targets, cold protocol", EvalCases.build(reduced.train_valid(), warm_targets))])]
    if share == DEFAULT_SHARE:  # the split's own test does not depend on the share
        parts.insert(0, (split, [("warm", EvalCases.build(split.train_valid(), split.test))]))
    for data, case_sets in parts:
        fit_data = data.train_valid()
        cache = FitCache(keep=len(members) + Ensemble.fit_cache_entries)  # both gates share the fitted members
        models = {label: Ensemble(members=members, cold_gate=gate).fit(fit_data, data.catalog, cache)
                  for label, gate in (("no gate", False), ("gate", True))}
        models["text member alone"] = cache.get_or_fit(  # the ensemble's own fit of it
            member_key(text_member, fit_data.fingerprint()),
            lambda fit_data=fit_data, catalog=data.catalog:
            create_model("text", **text_member.params).fit(fit_data, catalog))
        for name, cases in case_sets:
            per_case = {label: evaluate(model, cases) for label, model in models.items()}
            entry[name] = {label: {m: round(e.summary[m], 4) for m in ("HR@10", "NDCG@10")}
                           for label, e in per_case.items()}
            entry[name]["gate - no gate (NDCG@10)"] = paired_difference_ci(per_case["gate"].per_case["NDCG@10"],
                                                                           per_case["no gate"].per_case["NDCG@10"])
            entry[name]["cases"] = len(cases)
            print(dataset, "ensemble", name, entry[name], flush=True)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo")
    parser.add_argument("--parts", default="hybrid,ensemble", help="which gates to measure")
    parser.add_argument("--share", type=float, default=DEFAULT_SHARE,
                        help="ensemble: the share of items made new (other than 0.2: the cold protocol only)")
    args = parser.parse_args()
    path = HERE / "results" / "cold_gate.json"
    report = json.loads(path.read_text()) if path.exists() else {"datasets": {}}
    earlier = set(report.pop("commands", [])) | ({report.pop("command")} if "command" in report else set())
    report["commands"] = sorted(earlier | {"python " + " ".join(sys.argv)})  # each part's figures keep theirs
    for dataset in args.datasets.split(","):
        entry = report["datasets"].setdefault(dataset, {})
        if "hybrid" in args.parts:
            entry.update(run(dataset))
        if "ensemble" in args.parts:
            key = "ensemble" if args.share == DEFAULT_SHARE else f"ensemble, {args.share:.0%} of items new"
            entry[key] = run_ensemble(dataset, args.share)
        path.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
