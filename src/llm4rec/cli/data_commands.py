"""The commands that read raw data: inspect and split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from llm4rec.cli.app import app
from llm4rec.cli.console import console, show_report
from llm4rec.cli.options import KeyFile, Protocol, Pseudonymize, SkipBad, private_split
from llm4rec.data.inspect import summarize, summarize_split
from llm4rec.data.load import load_dataset, load_split
from llm4rec.data.split_dir import write_split_dir


@app.command()
def inspect(
    source: Annotated[str, typer.Argument(help="ml-100k, a split directory, or a raw data path")],
    catalog: Annotated[Path | None, typer.Option(help="item catalogue for an event log")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Print a data-quality summary: counts, sparsity, time range, degrees, anomalies."""
    path = Path(source)
    if path.is_dir() and (path / "train.tsv").exists():
        split, load_report = load_split(path, skip_bad_rows=skip_bad_rows)
        summary = summarize_split(split)
    else:
        dataset = load_dataset(source, catalog, skip_bad_rows)
        load_report = dataset.report
        summary = summarize(dataset.interactions, dataset.catalog)
        if dataset.events is not None:  # an event log: what feedback mining would drop, cap or flag
            from dataclasses import asdict

            from llm4rec.feedback.weights import mine_weights

            summary["feedback_hygiene"] = asdict(mine_weights(dataset.interactions, dataset.events)[1])
    show_report(load_report)
    summary["load_report"] = load_report.lines()
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        console.print_json(data=summary)


@app.command()
def split(
    source: Annotated[str, typer.Argument(help="ml-100k or a raw data path")],
    out: Annotated[Path, typer.Option(help="folder to write train/valid/test.tsv (+ items.tsv)")],
    protocol: Protocol = "loo",
    skip_bad_rows: SkipBad = False,
    pseudonymize: Pseudonymize = False,
    key_file: KeyFile = None,
) -> None:
    """Split raw data and write it in the split-directory layout."""
    made, load_report = load_split(source, protocol, skip_bad_rows)
    show_report(load_report)
    made = private_split(made, pseudonymize, key_file)
    write_split_dir(made, out)
    console.print(f"wrote {out}: {made.protocol}; train {len(made.train):,} / valid {len(made.valid):,} "
                  f"/ test {len(made.test):,} rows")
