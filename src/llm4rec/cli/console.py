"""Shared output helpers for the CLI: one rich console, metric tables, error exits."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from llm4rec.data.report import LoadReport
from llm4rec.evaluation.protocol import ModelResult

console = Console(stderr=True)
if not console.is_terminal:  # logs and CI: wide enough for the metric tables
    console.width = 120
TABLE_METRICS = ("HR@10", "NDCG@10", "MRR@10", "HR@20", "NDCG@20", "Coverage@10", "ILD@10")


def fail(message: str) -> None:
    """Print an error (with its hint) and exit with status 2."""
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


def show_warnings_once() -> None:
    """Print each distinct warning once, as "warning: …" on the console. A run fits models
    several times (every setting tried, then the refit), and Python's own format repeated the
    same sentence with a source path and line a user cannot act on."""
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ARG001 (showwarning's signature)
        text = str(message) if issubclass(category, UserWarning) else f"{category.__name__}: {message}"
        if text not in shown:
            shown.add(text)
            console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False)

    warnings.showwarning = show


def show_report(report: LoadReport) -> None:
    for line in report.lines():
        console.print(f"[yellow]note:[/] {line}")


def results_table(results: list[ModelResult], title: str) -> Table:
    table = Table(title=title)
    table.add_column("model")
    for metric in TABLE_METRICS:
        table.add_column(metric, justify="right")
    table.add_column("fit s", justify="right")
    best = max(r.test["NDCG@10"] for r in results)
    for r in results:
        style = "bold green" if r.test["NDCG@10"] == best else ""
        table.add_row(r.name, *(f"{r.test[m]:.4f}" for m in TABLE_METRICS), f"{r.fit_seconds:.1f}",
                      style=style)
    return table


def settings_lines(results: list[ModelResult]) -> list[str]:
    """The settings each model chose on valid, one line per model."""
    return [f"{r.name}: " + (", ".join(f"{k}={v}" for k, v in r.params.items()) or "no settings")
            for r in results]


def write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
