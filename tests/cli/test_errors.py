"""Every CLI error is one clear message with exit status 2, and every hint names an option that
exists (issue: hardening)."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import typer

from llm4rec.cli.main import app

SOURCE = Path(__file__).resolve().parents[2] / "src" / "llm4rec"
BAD_FILES = sorted((Path(__file__).resolve().parents[1] / "corpus" / "files").glob("[!R]*"))


def cli_options() -> dict[str, set[str]]:
    """Each command's option names (--like-this)."""
    group = typer.main.get_command(app)
    return {name: {opt for param in command.params for opt in param.opts if opt.startswith("--")}
            for name, command in group.commands.items()}


@pytest.mark.parametrize("path", BAD_FILES, ids=[p.name for p in BAD_FILES])
def test_bad_files_end_in_one_clear_error(run_main, path):
    code, output = run_main("inspect", str(path))
    assert code == 2 and "error:" in output, output
    assert "Traceback" not in output and str(path.name) in output


def test_bad_params_are_a_clear_error(run_main, shared_data):
    split = str(shared_data / "ml-100k-loo")
    code, output = run_main("train", "--split-dir", split, "--params", "{not json")
    assert code == 2 and "--params is not valid JSON" in output, output
    code, output = run_main("train", "--split-dir", split, "--params", '{"l2": 10, "nope": 1}')
    assert code == 2 and "Bad ease settings: nope" in output and re.search("ease takes .*l2", output), output
    code, output = run_main("train", "--split-dir", split, "--params", "[1]")
    assert code == 2 and "must be a JSON object" in output


def test_every_hint_names_an_option_that_exists():
    options = set().union(*cli_options().values())
    named = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "hint":
                text = " ".join(c.value for c in ast.walk(node.value)
                                if isinstance(c, ast.Constant) and isinstance(c.value, str))
                text = re.sub(r"`(pip|python|apt-get) [^`]*`", "", text)  # another program's own options
                named |= {(option, path.name) for option in re.findall(r"--[a-z][a-z-]+", text)}
    assert named, "no hint names an option: the walk found nothing to check"
    assert not {(o, f) for o, f in named if o not in options}


def test_every_command_that_reads_data_can_skip_bad_rows():
    """The strict loader's hint says --skip-bad-rows; every command that loads data has it."""
    for name, opts in cli_options().items():
        if opts & {"--split-dir", "--data"} or name in ("inspect", "split"):
            assert "--skip-bad-rows" in opts, name


def test_duplicated_rows_in_a_split_directory_are_reported(run_main, shared_data, tmp_path):
    for part in ("train", "valid", "test"):
        lines = (shared_data / "ml-100k-loo" / f"{part}.tsv").read_text().splitlines()[:3000]
        if part == "train":
            lines += lines[1:51]
        (tmp_path / f"{part}.tsv").write_text("\n".join(lines) + "\n")
    code, output = run_main("evaluate", "--split-dir", str(tmp_path), "--models", "pop",
                            "--out", str(tmp_path / "r.json"))
    assert code == 0 and "50 duplicated (user, item, timestamp) rows kept" in output and "train.tsv" in output


def test_missing_or_broken_input_files_are_clear_errors(run_main, shared_data, tmp_path):
    split = str(shared_data / "ml-100k-loo")
    code, output = run_main("train", "--split-dir", split, "--params-from", str(tmp_path / "none.json"))
    assert code == 2 and "does not exist" in output
    (tmp_path / "bad.json").write_text("{not json")
    code, output = run_main("train", "--split-dir", split, "--params-from", str(tmp_path / "bad.json"))
    assert code == 2 and "not an `evaluate` results JSON" in output
    code, output = run_main("serve", "--api-keys-file", str(tmp_path / "none.txt"))
    assert code == 2 and "does not exist" in output


def test_drop_suspicious_leaves_out_injected_fake_profiles(run_main, ml100k_loo, tmp_path):
    """An average attack injected into the training part (the library's injector) is flagged,
    listed and left out."""
    from llm4rec.data.split_dir import write_split_dir
    from llm4rec.feedback.attacks import Attack, choose_target, inject

    attacked, fake = inject(ml100k_loo.train, ml100k_loo.catalog,
                            Attack("average", 0.05, 0.05, choose_target(ml100k_loo.train), 0))
    fakes = set(attacked.users.ids[np.flatnonzero(fake)])
    users = attacked.users
    parts = {p: type(attacked).from_frame(getattr(ml100k_loo, p).to_frame(), users, attacked.items)
             for p in ("valid", "test")}
    write_split_dir(replace(ml100k_loo, train=attacked, **parts), tmp_path)
    out = tmp_path / "r.json"
    code, output = run_main("evaluate", "--split-dir", str(tmp_path), "--models", "pop", "--out", str(out),
                            "--drop-suspicious")
    listing = out.with_suffix(".suspicious.txt")
    listed = set(listing.read_text().split())
    assert code == 0 and "suspicious users dropped" in output
    assert len(listed & fakes) >= 0.9 * len(fakes) and len(listed - fakes) <= 0.1 * len(fakes)
    someone = sorted(listed)[0]
    code, output = run_main("forget", "--user", someone)  # the list holds ids: forgetting reaches it
    assert code == 0 and f"user list {listing.resolve()}" in output and someone not in listing.read_text().split()


def test_a_warning_is_printed_once_as_one_line_without_a_source_path():
    import warnings

    from llm4rec.cli.console import console, show_warnings_once

    with warnings.catch_warnings(), console.capture() as captured:  # restores Python's showwarning after
        warnings.simplefilter("always")
        show_warnings_once()
        for _ in range(3):  # as a run that fits a model once per setting and again for the refit
            warnings.warn("text: 97% of the items have no text", stacklevel=1)
        warnings.warn("another", DeprecationWarning, stacklevel=1)
    lines = captured.get().splitlines()
    assert lines == ["warning: text: 97% of the items have no text", "warning: DeprecationWarning: another"]
