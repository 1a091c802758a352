"""`llm4rec`: the entry point. Commands live in modules by what they do; importing them
registers them on the one typer app."""

from __future__ import annotations

import sys

from rich.markup import escape

from llm4rec.cli import data_commands, fit_commands, read_commands, service_commands, study_commands  # noqa: F401
from llm4rec.cli.app import app
from llm4rec.cli.console import console, show_warnings_once
from llm4rec.errors import Llm4RecError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point that turns library errors into a clear message and exit status 2, and
    warnings into one line each."""
    show_warnings_once()
    try:
        app()
    except Llm4RecError as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        sys.exit(2)
