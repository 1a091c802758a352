"""Benchmark: would choosing the ensemble's members by what they add beat the strongest four?

`llm4rec evaluate` blends the four strongest tuned models (by valid NDCG@10). Greedy forward
selection (Caruana et al., 2004, with this package's weight grid) starts from the best model and
adds, round by round, the candidate and weight that lift the blend's valid NDCG@10 most, while
one does; a weak model that is complementary (recency on news, say) can enter that way. Members
are refitted with the settings of the `--models all` results file (models missing from it, such
as the classic ones of a partial run, are tuned on valid here); each member's z-scored scores are
computed once (fit on train for valid, on train+valid for test, as `evaluate` does), the chosen
members' weights are then tuned on the grid as `evaluate` tunes them, and test is read once per
blend. Paired 95 % bootstrap intervals per user.

Writes benchmarks/results/ensemble_selection.{json,md}. Run with
`python benchmarks/ensemble_selection.py --datasets caixin-news-loo`.
"""

from __future__ import annotations

import argparse
import json
import sys

from ensemble_members import RESULTS, SHARED, best_weighting, member_scores, ndcg

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.intervals import paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.evaluation.ranking import EvalCases
from llm4rec.models.ensemble import STRONGEST, WEIGHTS

CANDIDATES = "sasrec,hybrid,text,ease,recent-pop,itemknn,als"


def greedy(ranked: list[str], scores: dict, valid: EvalCases) -> list[str]:
    """Members added while one lifts the valid NDCG@10 of the blend, at most STRONGEST."""
    members, blend, best = [ranked[0]], scores[ranked[0]]["valid"].copy(), scores[ranked[0]]["valid_ndcg"]
    while len(members) < STRONGEST:
        trials = [(float(ndcg(valid, blend + w * scores[m]["valid"]).mean()), m, w)
                  for m in ranked if m not in members for w in WEIGHTS[1:]]
        figure, member, weight = max(trials)
        if figure <= best:
            break
        members, blend, best = members + [member], blend + weight * scores[member]["valid"], figure
    return members


def run(dataset: str, names: list[str]) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    chosen = json.loads((RESULTS / "models_all" / dataset / "results.json").read_text())
    valid, test = EvalCases.build(split.train, split.valid), EvalCases.build(split.train_valid(), split.test)
    scores = {}
    for name in names:
        params = chosen[name]["params"] if name in chosen else tune_and_test(name, split).params
        scores[name] = member_scores(name, params, split, valid, test) | {"params": params}
        scores[name]["valid_ndcg"] = float(ndcg(valid, scores[name]["valid"]).mean())
        scores[name]["test_per_user"] = ndcg(test, scores[name]["test"])
        print(dataset, name, round(scores[name]["valid_ndcg"], 4), flush=True)
    ranked = sorted(names, key=lambda m: -scores[m]["valid_ndcg"])
    blends, per_user = {}, {}
    for label, members in (("strongest four", ranked[:STRONGEST]), ("greedy forward", greedy(ranked, scores, valid))):
        weights, valid_figure = best_weighting(members, scores, valid)
        per_user[label] = ndcg(test, sum(w * scores[m]["test"] for m, w in zip(members, weights, strict=True) if w))
        blends[label] = {"members": dict(zip(members, weights, strict=True)), "valid NDCG@10": round(valid_figure, 4),
                         "test NDCG@10": round(float(per_user[label].mean()), 4)}
    blends["greedy forward"]["minus strongest four"] = paired_difference_ci(per_user["greedy forward"],
                                                                            per_user["strongest four"])
    return {"blends": blends,
            "members": {m: {"valid NDCG@10": round(scores[m]["valid_ndcg"], 4),
                            "test NDCG@10": round(float(scores[m]["test_per_user"].mean()), 4),
                            "params": scores[m]["params"]} for m in ranked}}


def markdown(results: dict) -> str:
    lines = ["# Ensemble members: the strongest four or greedy forward selection", "",
             f"Weights from {list(WEIGHTS)} on valid; test once.", ""]
    for dataset, result in results.items():
        lines += [f"## {dataset}", "", f"`{result['command']}`", "",
                  "| selection | members (weights) | valid | test NDCG@10 |", "|---|---|---|---|"]
        for label, blend in result["blends"].items():
            named = ", ".join(f"{m} {w:g}" for m, w in blend["members"].items())
            lines.append(f"| {label} | {named} | {blend['valid NDCG@10']:.4f} | {blend['test NDCG@10']:.4f} |")
        diff = result["blends"]["greedy forward"]["minus strongest four"]
        interval = f"{diff['mean']:+.4f} [{diff['low']:+.4f}, {diff['high']:+.4f}]"
        lines += ["", f"Greedy − strongest four on test: {interval}.", "", "| member | valid | test |", "|---|---|---|"]
        lines += [f"| {m} | {f['valid NDCG@10']:.4f} | {f['test NDCG@10']:.4f} |" for m, f in result["members"].items()]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="caixin-news-loo")
    parser.add_argument("--models", default=CANDIDATES, help="candidate members")
    args = parser.parse_args()
    path = RESULTS / "ensemble_selection.json"
    results = json.loads(path.read_text()) if path.exists() else {}  # other datasets' runs stay
    for dataset in args.datasets.split(","):
        results[dataset] = run(dataset, args.models.split(",")) | {"command": "python " + " ".join(sys.argv)}
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / "ensemble_selection.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
