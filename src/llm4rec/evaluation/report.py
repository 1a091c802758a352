"""Result details (intervals, slices) and the markdown report of an evaluation run."""

from __future__ import annotations

from typing import Any

from llm4rec.data.splits import Split
from llm4rec.evaluation.intervals import bootstrap_ci, paired_difference_ci
from llm4rec.evaluation.protocol import ModelResult
from llm4rec.evaluation.slices import (
    HISTORY_ORDER,
    POPULARITY_ORDER,
    history_labels,
    popularity_labels,
    slice_means,
)

HEADLINE = ("HR@10", "NDCG@10", "MRR@10")


def details(results: list[ModelResult]) -> dict[str, Any]:
    """Per model: 95 % bootstrap intervals, slices, the tuning table; and how the best model
    differs from each other one on the same test cases."""
    out: dict[str, Any] = {}
    for result in results:
        evaluation = result.test_evaluation
        out[result.name] = {
            "ci95": {m: bootstrap_ci(evaluation.per_case[m]) for m in HEADLINE},
            "slices": {
                "target_popularity": slice_means(evaluation.per_case, popularity_labels(evaluation.cases),
                                                 HEADLINE, POPULARITY_ORDER),
                "history_length": slice_means(evaluation.per_case, history_labels(evaluation.cases),
                                              HEADLINE, HISTORY_ORDER),
            },
            "tuning": result.tuning,
            "tuning_seconds": round(result.tuning_seconds, 3),
        }
    if len(results) > 1:
        best = max(results, key=lambda r: r.test["NDCG@10"])
        out["best_vs_others_NDCG@10"] = {
            r.name: paired_difference_ci(best.test_evaluation.per_case["NDCG@10"],
                                         r.test_evaluation.per_case["NDCG@10"])
            | {"best": best.name}
            for r in results if r is not best
        }
    return out


def _table(rows: list[list[str]]) -> list[str]:
    header, *body = rows
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in body]


def markdown_report(results: list[ModelResult], split: Split, command: str, extra: dict[str, Any]) -> str:
    """A report a person can read: the protocol, metrics with intervals, settings, slices."""
    columns = ["HR@10", "NDCG@10", "MRR@10", "HR@20", "NDCG@20", "Coverage@10", "Novelty@10", "ILD@10"]
    lines = [f"# llm4rec evaluation: {split.name}", "", f"Command: `{command}`", "",
             f"Protocol: {split.protocol}. Full ranking over all {split.train.n_items:,} items, the "
             "user's known items removed; ties count against the target. Tuned on valid "
             "(fit on train), refitted on train+valid, test reported once.", "",
             f"Users {split.train.n_users:,}; rows train {len(split.train):,} / valid "
             f"{len(split.valid):,} / test {len(split.test):,}.", "", "## Test metrics", ""]
    rows = [["model", *columns, "fit s", "settings"]]
    for r in results:
        rows.append([r.name, *(f"{r.test[c]:.4f}" for c in columns), f"{r.fit_seconds:.1f}",
                     ", ".join(f"{k}={v}" for k, v in r.params.items()) or "-"])
    lines += _table(rows)
    past_edge = [f"- {r.name}: " + "; ".join(r.past_edge()) for r in results if r.past_edge()]
    if past_edge:
        lines += ["", "Chosen on the edge of a grid, these settings were tried one step further out, on valid:", "",
                  *past_edge]
    lines += ["", "## 95 % bootstrap intervals (test, resampling users)", ""]
    rows = [["model", *HEADLINE]]
    for r in results:
        ci = extra[r.name]["ci95"]
        rows.append([r.name, *(f"{r.test[m]:.4f} [{ci[m][0]:.4f}, {ci[m][1]:.4f}]" for m in HEADLINE)])
    lines += _table(rows)
    for kind in ("target_popularity", "history_length"):
        lines += ["", f"## NDCG@10 by {kind.replace('_', ' ')} (test cases in brackets)", ""]
        labels = list(dict.fromkeys(label for r in results for label in extra[r.name]["slices"][kind]))
        rows = [["model", *labels]]
        for r in results:
            cells = extra[r.name]["slices"][kind]
            rows.append([r.name, *(f"{cells[label]['NDCG@10']:.4f} ({cells[label]['cases']})"
                                   if label in cells else "-" for label in labels)])
        lines += _table(rows)
    if "best_vs_others_NDCG@10" in extra:
        lines += ["", "## Best model against each other model (NDCG@10 difference, same users)", ""]
        rows = [["vs", "difference", "95 % interval", "outside noise"]]
        for name, d in extra["best_vs_others_NDCG@10"].items():
            rows.append([f"{d['best']} - {name}", f"{d['mean']:+.4f}", f"[{d['low']:+.4f}, {d['high']:+.4f}]",
                         "yes" if d["significant"] else "no"])
        lines += _table(rows)
    return "\n".join(lines) + "\n"
