"""--mine-feedback end to end: a generated event log is mined, evaluated and trained on,
and the mining settings are saved with the bundle."""

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from llm4rec.cli.main import app
from llm4rec.errors import ConfigError
from llm4rec.feedback.generator import generate

runner = CliRunner()


def test_evaluate_and_train_on_mined_feedback(tmp_path):
    rng = np.random.default_rng(3)
    log = generate(rng.normal(size=(80, 150)), np.array([f"u{i}" for i in range(80)]),
                   np.array([f"i{j}" for j in range(150)]), sessions=8, seed=2)
    events = tmp_path / "events.csv"
    log.events.to_csv(events, index=False)
    config = tmp_path / "feedback.json"
    config.write_text(json.dumps({"event_weights": {"view": 1, "click": 3, "add_to_cart": 5, "purchase": 10},
                                  "half_life_days": 30}))
    out = tmp_path / "results.json"
    result = runner.invoke(app, ["evaluate", "--data", str(events), "--models", "pop,ease", "--out", str(out),
                                 "--feedback-config", str(config)])
    assert result.exit_code == 0, result.output
    assert "feedback mining" in result.output
    payload = json.loads(out.read_text())
    assert payload["ease"]["params"]["weighted"] is True
    mining = json.loads(out.with_suffix(".details.json").read_text())["feedback_mining"]
    assert mining["config"]["event_weights"]["purchase"] == 10 and mining["config"]["half_life_days"] == 30
    assert mining["report"]["events"] == len(log.events)

    result = runner.invoke(app, ["train", "--data", str(events), "--model", "ease", "--mine-feedback",
                                 "--out", str(tmp_path / "bundles")])
    assert result.exit_code == 0, result.output
    manifest = json.loads(next((tmp_path / "bundles" / "ease").glob("*/manifest.json")).read_text())
    assert manifest["params"]["weighted"] is True
    assert manifest["feedback"]["config"]["event_weights"]["purchase"] == 8.0  # the defaults
    weights = pd.read_parquet(next((tmp_path / "bundles" / "ease").glob("*/interactions.parquet")))["weight"]
    assert weights.nunique() > 3  # mined, not binary


def test_mining_a_split_directory_or_a_bad_config_is_a_clear_error(shared_data, tmp_path):
    result = runner.invoke(app, ["evaluate", "--split-dir", str(shared_data / "ml-100k-loo"), "--models", "pop",
                                 "--mine-feedback", "--out", str(tmp_path / "r.json")])
    assert isinstance(result.exception, ConfigError) and "raw events" in str(result.exception)
    bad = tmp_path / "bad.json"
    bad.write_text('{"event_weight": {"view": 1}}')
    result = runner.invoke(app, ["train", "--data", "ml-100k", "--feedback-config", str(bad)])
    assert isinstance(result.exception, ConfigError) and "Allowed fields" in str(result.exception)
