"""The command-line contracts the maintainers' scripts read, and friendly failures."""

import json
import subprocess
import sys

from typer.testing import CliRunner

from llm4rec.cli.main import app
from llm4rec.models.registry import MODELS

runner = CliRunner()


def test_models_lists_name_tab_kind():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == list(MODELS)
    assert all(line.split("\t")[1] in ("ids", "text") for line in lines)


def test_evaluate_writes_the_contract_json(shared_data, tmp_path):
    out = tmp_path / "results.json"
    result = runner.invoke(app, ["evaluate", "--split-dir", str(shared_data / "ml-100k-loo"),
                                 "--models", "pop,itemknn", "--out", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert list(payload) == ["pop", "itemknn"]
    for figures in payload.values():
        assert set(figures) == {"test", "valid", "params", "fit_seconds"}
        for part in ("test", "valid"):
            assert all(0 <= figures[part][k] <= 1 for k in ("HR@10", "NDCG@10", "MRR@10", "HR@20", "NDCG@20"))
    assert payload["itemknn"]["params"]["k"] in (50, 100, 200, 400)
    assert "bootstrap" in (tmp_path / "results.md").read_text()


def test_evaluate_on_sampled_users(shared_data, tmp_path):
    out = tmp_path / "results.json"
    result = runner.invoke(app, ["evaluate", "--split-dir", str(shared_data / "ml-100k-loo"), "--models", "pop",
                                 "--out", str(out), "--sample-users", "100"])
    assert result.exit_code == 0, result.output
    assert "valid 100 / test 100 rows" in result.output
    assert "valid and test of 100 sampled users (seed 0)" in (tmp_path / "results.md").read_text()
    assert set(json.loads(out.read_text())["pop"]) == {"test", "valid", "params", "fit_seconds"}


def test_unknown_model_is_a_clear_error(shared_data):
    result = runner.invoke(app, ["evaluate", "--split-dir", str(shared_data / "ml-100k-loo"), "--models", "nope"])
    assert result.exit_code == 2 and "choose from" in result.output


def test_inspect_a_split_dir(shared_data):
    result = runner.invoke(app, ["inspect", str(shared_data / "ml-100k-loo"), "--json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["train"]["interactions"] == 98_114 and summary["test"]["cold_users_not_in_train"] == 0


def test_inspect_reports_bad_input_without_a_traceback(tmp_path):
    bad = tmp_path / "events.csv"
    bad.write_text("user,item\n1,2\n")
    command = [sys.executable, "-c", "from llm4rec.cli.main import main; main()", "inspect", str(bad)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 2 and "Missing column 'user_id'" in done.stderr and "Traceback" not in done.stderr


def test_models_all_skips_a_model_that_needs_items_tsv(shared_data, tmp_path):
    for part in ("train", "valid", "test"):
        lines = (shared_data / "ml-100k-loo" / f"{part}.tsv").read_text().splitlines()
        (tmp_path / f"{part}.tsv").write_text("\n".join(lines[:2000]) + "\n")
    from llm4rec.cli.evaluation_run import run_evaluation

    _, results = run_evaluation(str(tmp_path), ["pop", "text"], tmp_path / "r.json", "loo", False, None,
                                skip_failing=True)
    assert [r.name for r in results] == ["pop"]
    assert list(json.loads((tmp_path / "r.json").read_text())) == ["pop"]


def test_seeds_report_the_spread_over_training_seeds(shared_data, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["evaluate", "--split-dir", str(shared_data / "ml-100k-loo"), "--models", "pop,als",
                                 "--out", str(out), "--seeds", "2"])
    assert result.exit_code == 0, result.output
    seeds = json.loads(out.with_suffix(".details.json").read_text())["seeds"]
    assert list(seeds) == ["als"]  # pop has no randomness
    figures = seeds["als"]["NDCG@10"]
    low, high = figures["ci95_over_seeds"]
    assert len(figures["values"]) == 2 and low <= figures["mean"] <= high
    assert "als over 2 seeds" in result.output


def test_the_quickstart_says_the_published_models_gain_with_a_paired_interval(ml100k_loo):
    from llm4rec.cli.showcase import gains
    from llm4rec.evaluation.protocol import tune_and_test

    results = [tune_and_test("pop", ml100k_loo), tune_and_test("ease", ml100k_loo, grid=[{"l2": 150.0}])]
    line, = gains(results, references=("pop", "sasrec"))  # no sasrec in this run: one line
    assert line.startswith("[bold]ease[/] (best on valid)") and "vs pop" in line and "paired 95 % interval" in line
    ratio = results[1].test["NDCG@10"] / results[0].test["NDCG@10"]
    assert f"{ratio:.2f}x" in line
