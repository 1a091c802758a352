"""`llm4rec simulate` end to end on real data (a slice of ml-100k's users)."""

import json

from typer.testing import CliRunner

from llm4rec.cli.main import app
from llm4rec.simulation.runner import METRICS

runner = CliRunner()


def test_simulate_writes_the_documented_json_details_and_report(shared_data, tmp_path):
    out = tmp_path / "sim.json"
    result = runner.invoke(app, ["simulate", "--split-dir", str(shared_data / "ml-100k-loo"), "--rounds", "6",
                                 "--seeds", "2", "--max-users", "40", "--pool", "100", "--off-policy-rounds", "5",
                                 "--policies", "random,greedy,linucb,mmr", "--out", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert list(payload) == ["random", "greedy", "linucb", "mmr"]
    for entry in payload.values():
        assert set(entry) == {*METRICS, "ci95"}
        assert all(len(entry[m]) == 6 and all(isinstance(v, float) for v in entry[m]) for m in METRICS)
        assert all(len(entry["ci95"][m]) == 6 and all(len(pair) == 2 for pair in entry["ci95"][m]) for m in METRICS)
        assert 0 < entry["retention"][-1] <= 1
    assert payload["greedy"]["ctr"][0] > payload["random"]["ctr"][0]
    details = json.loads(out.with_suffix(".details.json").read_text())
    assert set(details["off_policy"]) == {"random", "greedy", "mmr"}
    assert details["user_model"]["sharpness"] > 0
    assert set(details["paired_vs_greedy"]) == {"random", "linucb", "mmr"}
    assert out.with_suffix(".html").read_text().count("<img") == 6


def test_unknown_policy_is_a_clear_error():
    result = runner.invoke(app, ["simulate", "--policies", "greedy,oracle"])
    assert result.exit_code == 2 and "choose from" in result.output
