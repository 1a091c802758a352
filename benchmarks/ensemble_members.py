"""Benchmark: how many members the tuned ensemble should blend.

`llm4rec evaluate --models all` blends the strongest three tuned models (by valid NDCG@10) with
weights from `ensemble.WEIGHTS` chosen on valid. This asks whether a fourth or fifth member pays:
for each dataset the models of a `--models all` results file are refitted with their chosen
settings, on train as tuning fitted them (early stopping on) and on train+valid as the refit
did; each member's z-scored scores (as `Ensemble` blends them) are computed once for every valid
and test case, so every weighting of the top 3, 4 or 5 is ranked on valid without fitting again,
and the weighting valid chooses is tested once. Test, full ranking, known items removed, paired
per user against the top 3 and against SASRec.

Writes benchmarks/results/ensemble_members.{json,md}. Run with
`python benchmarks/ensemble_members.py --datasets ml-100k-loo,amazon-office-loo`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.intervals import paired_difference_ci
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.ensemble import WEIGHTS
from llm4rec.models.hybrid import row_zscore
from llm4rec.models.registry import create_model

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"
REFIT_ONLY = ("max_epochs", "early_stopping", "finetune_epochs")  # chosen by early stopping on train


class FixedScores:
    """A blend of precomputed member scores for one set of cases (the ranking asks only `score`)."""

    def __init__(self, cases: EvalCases, scores: np.ndarray) -> None:
        self.cases, self.scores = cases, scores

    def score(self, histories, users) -> np.ndarray:
        return self.scores[np.searchsorted(self.cases.users, users)].copy()


def member_scores(name: str, params: dict, split, valid: EvalCases, test: EvalCases) -> dict:
    """One member's z-scored scores on valid (fit on train) and test (fit on train+valid)."""
    started = time.perf_counter()
    tuning = {k: v for k, v in params.items() if k not in REFIT_ONLY}
    on_train = create_model(name, **tuning).fit(split.train, split.catalog)
    on_all = create_model(name, **params).fit(split.train_valid(), split.catalog)
    return {"valid": row_zscore(on_train.score(valid.histories, valid.users).astype(np.float64)),
            "test": row_zscore(on_all.score(test.histories, test.users).astype(np.float64)),
            "seconds": time.perf_counter() - started}


def ndcg(cases: EvalCases, scores: np.ndarray) -> np.ndarray:
    return evaluate(FixedScores(cases, scores), cases, ks=(10,)).per_case["NDCG@10"]


def best_weighting(members: list[str], scores: dict, valid: EvalCases) -> tuple[tuple, float]:
    """The weights (first member 1) with the best valid NDCG@10 over WEIGHTS, as the ensemble tunes."""
    best, best_valid = None, -1.0
    for weights in itertools.product(WEIGHTS, repeat=len(members) - 1):
        weights = (1.0, *weights)
        blend = sum(w * scores[m]["valid"] for m, w in zip(members, weights, strict=True) if w)
        figure = float(ndcg(valid, blend).mean())
        if figure > best_valid:
            best, best_valid = weights, figure
    return best, best_valid


def run(dataset: str, tops: list[int]) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    chosen = json.loads((RESULTS / "models_all" / dataset / "results.json").read_text())
    ranked = sorted((m for m in chosen if m != "ensemble"), key=lambda m: -chosen[m]["valid"]["NDCG@10"])
    valid, test = EvalCases.build(split.train, split.valid), EvalCases.build(split.train_valid(), split.test)
    needed = list(dict.fromkeys(ranked[:max(tops)] + ["sasrec"]))
    scores = {m: member_scores(m, chosen[m]["params"], split, valid, test) for m in needed}
    per_member = {m: ndcg(test, scores[m]["test"]) for m in needed}
    rows, per_top = [], {}
    for top in tops:
        members = ranked[:top]
        weights, valid_figure = best_weighting(members, scores, valid)
        blend = sum(w * scores[m]["test"] for m, w in zip(members, weights, strict=True) if w)
        per_top[top] = ndcg(test, blend)
        rows.append({"members": members, "weights": list(weights), "valid NDCG@10": round(valid_figure, 4),
                     "test NDCG@10": round(float(per_top[top].mean()), 4),
                     "minus top 3": paired_difference_ci(per_top[top], per_top[tops[0]]),
                     "minus sasrec": paired_difference_ci(per_top[top], per_member["sasrec"]),
                     "ratio to sasrec": round(float(per_top[top].mean() / per_member["sasrec"].mean()), 3)})
    return {"dataset": dataset, "rows": rows,
            "members": {m: {"valid NDCG@10 (results file)": round(chosen[m]["valid"]["NDCG@10"], 4),
                            "valid NDCG@10 (refitted here)": round(float(ndcg(valid, scores[m]["valid"]).mean()), 4),
                            "test NDCG@10": round(float(per_member[m].mean()), 4),
                            "seconds": round(scores[m]["seconds"], 1)} for m in needed}}


def markdown(results: list[dict]) -> str:
    lines = ["# Ensemble members: top 3, 4 or 5 by valid NDCG@10", "",
             "`python benchmarks/ensemble_members.py` (weights chosen on valid over "
             f"{list(WEIGHTS)}, test once; paired 95 % bootstrap intervals per user).", ""]
    for result in results:
        lines += [f"## {result['dataset']}", "", "| members (weights) | valid | test NDCG@10 | − top 3 | × SASRec |",
                  "|---|---|---|---|---|"]
        for row in result["rows"]:
            diff = row["minus top 3"]
            named = ", ".join(f"{m} {w:g}" for m, w in zip(row["members"], row["weights"], strict=True))
            lines.append(f"| {named} | {row['valid NDCG@10']:.4f} | {row['test NDCG@10']:.4f} | {diff['mean']:+.4f} "
                         f"[{diff['low']:+.4f}, {diff['high']:+.4f}] | {row['ratio to sasrec']:.2f} |")
        lines += ["", "| member | valid (results file) | valid (here) | test | fit s (train and train+valid) |",
                  "|---|---|---|---|---|"]
        lines += [f"| {m} | {f['valid NDCG@10 (results file)']:.4f} | {f['valid NDCG@10 (refitted here)']:.4f} | "
                  f"{f['test NDCG@10']:.4f} | {f['seconds']:.0f} |" for m, f in result["members"].items()]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo")
    parser.add_argument("--tops", default="3,4,5", help="member counts; the first is the baseline")
    args = parser.parse_args()
    results = [run(d, [int(t) for t in args.tops.split(",")]) for d in args.datasets.split(",")]
    (RESULTS / "ensemble_members.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "ensemble_members.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
