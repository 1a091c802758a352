"""Tuning tries past a grid's edge when valid chooses the edge (issue 20: searches that do not
stop at their edge)."""

from __future__ import annotations

from llm4rec.evaluation.protocol import edge_step, tune_and_test
from llm4rec.evaluation.report import details, markdown_report


def test_edge_step_only_at_an_edge_and_outward():
    grid = [{"k": k, "shrink": s} for k in (50, 100, 400) for s in (0.0, 10.0, 100.0)]
    assert edge_step(grid, {"k": 400, "shrink": 10.0}, "k") == 4.0
    assert edge_step(grid, {"k": 50, "shrink": 10.0}, "k") == 0.5
    assert edge_step(grid, {"k": 100, "shrink": 10.0}, "k") is None  # inside the grid
    assert edge_step(grid, {"k": 100, "shrink": 0.0}, "shrink") is None  # zero cannot be scaled down
    assert edge_step(grid, {"k": 100, "shrink": 100.0}, "shrink") == 10.0
    assert edge_step([{"l2": 150.0}], {"l2": 150.0}, "l2") is None  # one value: no edge to read


def test_ease_chosen_on_the_edge_is_tuned_further_on_valid(ml100k_loo):
    # ml-100k-loo's valid prefers l2 in the hundreds: a grid of 3000 and 30000 leaves 3000 on its edge.
    result = tune_and_test("ease", ml100k_loo, grid=[{"l2": 3000.0}, {"l2": 30000.0}])
    past = [entry for entry in result.tuning if "past_edge" in entry]
    assert past and past[0]["params"] == {"l2": 300.0} and past[0]["past_edge"] == "l2"
    tried = {entry["params"]["l2"]: entry["NDCG@10"] for entry in result.tuning}
    assert result.params["l2"] == max(tried, key=tried.get) and result.params["l2"] < 3000.0
    assert result.past_edge()[0] == "l2 300: chosen"
    report = markdown_report([result], ml100k_loo, "test", details([result]))
    assert "tried one step further out" in report and "ease: l2 300: chosen" in report


def test_models_without_open_ended_settings_keep_their_grid(ml100k_loo):
    result = tune_and_test("recent-pop", ml100k_loo, grid=[{"window_days": 1.0}, {"window_days": 30.0}])
    assert len(result.tuning) == 2 and result.past_edge() == []
