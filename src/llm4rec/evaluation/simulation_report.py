"""An HTML report of a policy simulation: metrics over rounds with 95 % bands over seeds,
a final-round table, and the off-policy estimates against the simulator's truth."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from llm4rec.evaluation.html_report import STYLE, plt, png_tag

PLOTTED = {"ctr": "click-through rate per slot", "cumulative_clicks": "clicks per user so far",
           "coverage": "catalogue coverage (this round)", "gini": "Gini of exposure (this round)",
           "entropy": "user interest entropy (bits)", "retention": "users still active"}
SUMMARY = ("cumulative_clicks", "ctr", "coverage", "gini", "diversity", "entropy", "retention")


def curves(results: dict[str, Any], metric: str, title: str) -> str:
    """One line per policy over rounds, with its interval over seeds as a band."""
    figure, axis = plt.subplots(figsize=(6, 3.4))
    for policy, entry in results.items():
        rounds = np.arange(1, len(entry[metric]) + 1)
        interval = np.asarray(entry["ci95"][metric])
        axis.plot(rounds, entry[metric], label=policy, linewidth=1.2)
        axis.fill_between(rounds, interval[:, 0], interval[:, 1], alpha=0.2)
    axis.set_xlabel("round")
    axis.set_title(title)
    axis.legend(fontsize=7)
    return png_tag(figure)


def final_table(results: dict[str, Any]) -> str:
    """Each metric at the last round (CTR and diversity averaged over all rounds), ± the
    half-width of its interval over seeds."""
    header = "".join(f"<th>{m}</th>" for m in SUMMARY)
    rows = []
    for policy, entry in results.items():
        cells = []
        for metric in SUMMARY:
            interval = np.asarray(entry["ci95"][metric])
            if metric in ("ctr", "diversity"):
                value, half = np.mean(entry[metric]), np.mean(interval[:, 1] - interval[:, 0]) / 2
            else:
                value, half = entry[metric][-1], (interval[-1, 1] - interval[-1, 0]) / 2
            cells.append(f"<td>{value:.4f} ± {half:.4f}</td>")
        rows.append(f"<tr><td>{html.escape(policy)}</td>{''.join(cells)}</tr>")
    return f"<table><tr><th>policy</th>{header}</tr>{''.join(rows)}</table>"


def paired_table(differences: dict[str, Any]) -> str:
    """Policy minus greedy at the last round on the same simulated populations."""
    metrics = list(next(iter(differences.values()), {}))
    header = "".join(f"<th>{m}</th>" for m in metrics)
    rows = "".join(
        f"<tr><td>{html.escape(policy)}</td>" + "".join(
            f"<td>{d[m]['mean']:+.4f} [{d[m]['ci95'][0]:+.4f}, {d[m]['ci95'][1]:+.4f}]</td>" for m in metrics) + "</tr>"
        for policy, d in differences.items())
    return f"<table><tr><th>policy − greedy</th>{header}</tr>{rows}</table>"


def off_policy_table(check: dict[str, Any]) -> str:
    estimators = [key for key in next(iter(check.values()), {}) if key not in ("truth", "within")]
    header = "".join(f"<th>{e}</th>" for e in estimators)
    rows = []
    for policy, entry in check.items():
        truth = entry["truth"]
        cells = "".join(
            f"<td>{entry[e]['mean']:.4f} [{entry[e]['ci95'][0]:.4f}, {entry[e]['ci95'][1]:.4f}]"
            f"{'' if entry['within'][e] else ' ✗'}</td>" for e in estimators)
        rows.append(f"<tr><td>{html.escape(policy)}</td><td>{truth['mean']:.4f} [{truth['ci95'][0]:.4f}, "
                    f"{truth['ci95'][1]:.4f}]</td>{cells}</tr>")
    return f"<table><tr><th>policy</th><th>true CTR</th>{header}</tr>{''.join(rows)}</table>"


def write_simulation_report(results: dict[str, Any], details: dict[str, Any], path: Path) -> Path:
    """Write the report; `details` holds the settings and the off-policy check."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>llm4rec policy simulation</title>"
             f"<style>{STYLE}</style></head><body><h1>Policy simulation</h1>",
             f"<p class='muted'>{html.escape(details.get('command', ''))}</p>",
             "<h2>After the last round</h2>", final_table(results),
             "<p class='muted'>ctr and diversity: mean over rounds; the rest: last round; ± half the 95 % "
             "interval over seeds.</p>", "<h2>Over rounds</h2>"]
    parts += [curves(results, metric, title) for metric, title in PLOTTED.items()]
    if details.get("paired_vs_greedy"):
        parts += ["<h2>Against greedy, seed by seed</h2>", paired_table(details["paired_vs_greedy"])]
    if details.get("off_policy"):
        parts += ["<h2>Off-policy estimates from uniformly random logged slates</h2>",
                  off_policy_table(details["off_policy"]),
                  "<p class='muted'>mean [95 % interval over seeds]; ✗: neither the estimate's mean lies in the "
                  "truth's interval nor the truth's mean in the estimate's.</p>"]
    parts.append(f"<h2>Settings</h2><pre>{html.escape(_settings_text(details))}</pre></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))
    return path


def _settings_text(details: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in details.items() if k not in ("off_policy", "paired_vs_greedy", "command")},
                      indent=2)
