"""PROTOCOL.md: tune on valid (fit on train), refit on train+valid, report test once."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llm4rec.data.splits import Split
from llm4rec.evaluation.ranking import EvalCases, Evaluation, evaluate
from llm4rec.models.base import FitCache, Recommender
from llm4rec.models.registry import model_class
from llm4rec.progress import track

SELECTION_METRIC = "NDCG@10"
PAST_EDGE_STEPS = 2  # settings tried past a grid's edge per open-ended parameter, at most (a fit each)


@dataclass
class ModelResult:
    """What one model reached: chosen settings, valid and test figures, timings."""

    name: str
    params: dict[str, Any]
    valid: dict[str, float]
    test: dict[str, float]
    fit_seconds: float
    tuning_seconds: float
    test_evaluation: Evaluation
    model: Recommender
    tuning: list[dict[str, Any]] = field(default_factory=list)
    tuned_model: Recommender | None = None  # the chosen settings fitted on train while tuning (for an ensemble)

    def past_edge(self) -> list[str]:
        """The settings tuned past the grid's edge, said plainly ("text_weight 33.3: chosen")."""
        chosen = self.params_tried_best()
        return [f"{entry['past_edge']} {entry['params'][entry['past_edge']]:g}: "
                + ("chosen" if entry["params"] == chosen else "not better on valid")
                for entry in self.tuning if "past_edge" in entry]

    def params_tried_best(self) -> dict[str, Any]:
        """The tried settings valid chose (as tried, before the model filled in its defaults)."""
        best = max(self.tuning, key=lambda entry: entry[SELECTION_METRIC] if entry[SELECTION_METRIC] is not None
                   else float("-inf"), default=None)
        return {} if best is None else best["params"]

    def contract(self) -> dict[str, Any]:
        """The JSON shape the maintainers' scripts read: test, valid, params, fit_seconds."""
        return {"test": self.test, "valid": self.valid, "params": self.params,
                "fit_seconds": round(self.fit_seconds, 3)}


def best_on_valid(results: list[ModelResult]) -> ModelResult:
    """The result with the best valid selection metric: the model a run publishes."""
    return max(results, key=lambda r: r.valid.get(SELECTION_METRIC, float("-inf")))


def seed_spread(name: str, params: dict[str, Any], split: Split, seeds: int,
                    metrics: tuple[str, ...] = ("HR@10", "NDCG@10")) -> dict[str, dict[str, Any]]:
    """The chosen settings refitted on train+valid with seeds 0..seeds-1 and tested each time:
    per metric the values, their mean and a 95 % t-interval over seeds (how far training
    randomness alone moves the result, beside the bootstrap interval over users)."""
    from scipy import stats

    cls = model_class(name)
    train_valid = split.train_valid()
    cases = EvalCases.build(train_valid, split.test)
    values = {m: [] for m in metrics}
    for seed in range(seeds):
        summary = evaluate(cls(**(params | {"seed": seed})).fit(train_valid, split.catalog), cases).summary
        for m in metrics:
            values[m].append(float(summary[m]))
    out = {}
    for m, vs in values.items():
        mean, sem = float(np.mean(vs)), float(stats.sem(vs)) if len(vs) > 1 else 0.0
        half = float(stats.t.ppf(0.975, len(vs) - 1) * sem) if len(vs) > 1 else 0.0
        out[m] = {"values": [round(v, 4) for v in vs], "mean": round(mean, 4),
                  "ci95_over_seeds": [round(mean - half, 4), round(mean + half, 4)]}
    return out


def edge_step(grid: list[dict[str, Any]], best: dict[str, Any], setting: str) -> float | None:
    """When `best` chose the largest (smallest) value of `setting` in `grid`, the factor of one
    more step outward (the ratio of the grid's two outermost values), else None: a chosen value
    on the edge says the good region may lie beyond it."""
    values = sorted({p[setting] for p in grid if type(p.get(setting)) in (int, float)})
    value = best.get(setting)
    if len(values) < 2 or value is None or values[0] <= 0 and value == values[0]:
        return None
    if value == values[-1]:
        return values[-1] / values[-2] if values[-2] > 0 else 10.0
    return values[0] / values[1] if value == values[0] else None


def tune_and_test(
    name: str,
    split: Split,
    ks: tuple[int, ...] = (10, 20),
    grid: list[dict[str, Any]] | None = None,
    metric: str = SELECTION_METRIC,
    progress: bool = False,
    ray: str | None = None,
    cache: FitCache | None = None,
) -> ModelResult:
    """Pick settings from `grid` (the model's own search space by default) by `metric` on
    valid, past the grid's edge for the model's open-ended settings (see `edge_step`); then
    refit on train+valid and evaluate on test. With `ray` (a cluster address or 'auto') the
    full-ranking evaluations run as Ray tasks. `cache` (default: a fresh one) shares sub-fits
    between the settings and with the refit."""
    cls = model_class(name)
    grid = grid if grid is not None else cls.search_space()
    valid_cases = EvalCases.build(split.train, split.valid)
    started = time.perf_counter()
    if not len(valid_cases):
        grid = grid[:1]  # nothing to tune on: the first (default) setting, still evaluated
    tuning: list[dict[str, Any]] = []
    best, best_valid, best_model = grid[0], {}, None
    cache = cache if cache is not None else FitCache(cls.fit_cache_entries)  # this run's sub-fits, dropped with it

    def on_valid(params: dict[str, Any]) -> tuple[dict[str, float], Recommender]:
        model = cls(**params).fit(split.train, split.catalog, cache)
        return (evaluate(model, valid_cases, ks, ray=ray).summary if len(valid_cases) else {}), model

    for params in track(grid, f"tuning {name}", enabled=progress and len(grid) > 1):
        figures, model = on_valid(params)
        tuning.append({"params": params, metric: figures.get(metric)})
        if len(tuning) == 1 or figures[metric] > best_valid[metric]:
            best, best_valid, best_model = params, figures, model
    for setting in cls.open_ended if len(valid_cases) else ():
        step = edge_step(grid, best, setting)
        for _ in range(PAST_EDGE_STEPS if step is not None else 0):
            value = best[setting] * step
            params = best | {setting: round(value) if isinstance(best[setting], int) else float(f"{value:.4g}")}
            figures, model = on_valid(params)
            tuning.append({"params": params, metric: figures.get(metric), "past_edge": setting})
            if figures[metric] <= best_valid[metric]:
                break
            best, best_valid, best_model = params, figures, model
    tuning_seconds = time.perf_counter() - started
    train_valid = split.train_valid()
    fit_start = time.perf_counter()
    final = cls(**(best | best_model.refit_settings())).fit(train_valid, split.catalog, cache)
    fit_seconds = time.perf_counter() - fit_start
    test = evaluate(final, EvalCases.build(train_valid, split.test), ks, progress, ray)
    return ModelResult(name, final.params, best_valid, test.summary, fit_seconds,
                       tuning_seconds, test, final, tuning, best_model)
