"""The `llm4rec` command line: thin typer commands over the library."""
