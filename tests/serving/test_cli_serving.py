"""`llm4rec train` writes a bundle that `serve` finds and the engine serves."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from llm4rec.cli.main import app
from llm4rec.cli.serve import resolve_served_bundle
from llm4rec.serving.bundle import load_bundle

runner = CliRunner()


def test_train_with_chosen_settings_then_serve_finds_the_newest_bundle(shared_data, tmp_path, monkeypatch):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"itemknn": {"params": {"k": 50, "shrink": 0.0}, "test": {"NDCG@10": 0.06}}}))
    monkeypatch.setenv("LLM4REC_CACHE", str(tmp_path / "cache"))
    command = ["train", "--split-dir", str(shared_data / "ml-100k-loo"), "--model", "itemknn",
               "--params-from", str(results), "--params", '{"shrink": 10.0}']  # --params overrides the file
    outcome = runner.invoke(app, command)
    assert outcome.exit_code == 0, outcome.output
    served = resolve_served_bundle(None)
    assert served.parent.parent == tmp_path / "cache" / "bundles"
    bundle = load_bundle(served)
    chosen = {k: bundle.model.params[k] for k in ("k", "shrink", "dp_epsilon")}
    assert chosen == {"k": 50, "shrink": 10.0, "dp_epsilon": None}
    assert len(bundle.interactions) == 100_000  # train + valid + test: everything is served
    assert bundle.manifest["metrics"]["evaluated_as"]["test"] == {"NDCG@10": 0.06}


def test_train_refuses_a_results_file_without_the_model(shared_data, tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"ease": {"params": {"l2": 1.0}}}))
    outcome = runner.invoke(app, ["train", "--split-dir", str(shared_data / "ml-100k-loo"), "--model", "pop",
                                  "--params-from", str(results), "--out", str(tmp_path)])
    assert outcome.exit_code == 2 and "no results for 'pop'" in outcome.output
