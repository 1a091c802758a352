"""Tuning, refitting and testing models for a command, and publishing the best as a bundle."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from llm4rec.cli.console import console, fail, results_table, settings_lines, write_json
from llm4rec.cli.options import choose_text_encoder, drop_suspicious, load_data, weighted_grid, with_encoder
from llm4rec.data.splits import Split
from llm4rec.errors import Llm4RecError
from llm4rec.evaluation.protocol import ModelResult, best_on_valid, seed_spread, tune_and_test
from llm4rec.evaluation.report import details, markdown_report
from llm4rec.models.base import FitCache
from llm4rec.models.ensemble import Ensemble, Member, member_key, strongest, weight_grid
from llm4rec.models.registry import MODELS
from llm4rec.serving.bundle import bundles_root, save_bundle
from llm4rec.text.encoder import default_backend, encoder_name

if TYPE_CHECKING:
    from llm4rec.feedback.weights import FeedbackConfig


def run_evaluation(source: str, names: list[str], out: Path, protocol: str, skip_bad_rows: bool,
                   report_path: Path | None, skip_failing: bool = False, catalog: Path | None = None,
                   feedback: FeedbackConfig | None = None, ray: str | None = None,
                   sample_users: int | None = None, suspicious: bool = False,
                   seeds: int = 1) -> tuple[Split, list[ModelResult]]:
    """Tune, refit and test each model; write the contract JSON, details and a report.

    With `skip_failing` (used for `--models all`) a model that cannot run on this data, such
    as the text model without an items.tsv, is reported and left out instead of stopping.
    With `feedback` (mining settings) the raw data is mined into weights first, and models
    that can read weights are tuned with `weighted` on. With `sample_users`, valid and test
    keep a seeded sample of that many users (train stays whole). With `suspicious`, the users the
    shilling detector flags are left out (their ids written beside `out`). With `seeds` > 1, models
    whose training is random are refitted and tested with that many seeds (details: "seeds").
    """
    split, mining = load_data(source, protocol, skip_bad_rows, catalog, feedback)
    if suspicious:
        split = drop_suspicious(split, out.with_suffix(".suspicious.txt"))
    if sample_users is not None:
        split = split.sample_users(sample_users)
    console.print(f"[bold]{split.name}[/]: {split.train.n_users:,} users, {split.train.n_items:,} items; "
                  f"train {len(split.train):,} / valid {len(split.valid):,} / test {len(split.test):,} rows")
    results = []
    chosen, language = choose_text_encoder(split.catalog)
    for name in sorted(names, key=lambda n: n == Ensemble.name):  # the ensemble blends the others: last
        started = time.perf_counter()
        try:
            grid, cache = with_encoder(name, weighted_grid(name) if mining else None, chosen), None
            if name == Ensemble.name and len(results) > 1:  # members: the strongest tuned here, as tuned
                members = strongest_tuned(results)
                grid, cache = weight_grid(members), fitted_members(members, results, split)
            result = tune_and_test(name, split, grid=grid, progress=True, ray=ray, cache=cache)
        except Llm4RecError as error:
            if not skip_failing:
                raise
            console.print(f"[yellow]note:[/] {name} skipped: {error}")
            continue
        console.print(f"  {name}: test NDCG@10 {result.test['NDCG@10']:.4f}, HR@10 {result.test['HR@10']:.4f} "
                      f"({time.perf_counter() - started:.1f} s with tuning)")
        results.append(result)
        ensemble_candidates = {m.model for m in strongest_tuned(results)}
        for earlier in results:  # only the strongest few may become members: the others' train fits go
            if earlier.name not in ensemble_candidates:
                earlier.tuned_model = None
    encoder = encoder_name(chosen) if any(MODELS[r.name].encodes_text for r in results) else None
    if not results:
        fail("no model could run on this data; see the notes above")
    write_json(out, {r.name: r.contract() for r in results})
    extra = details(results)
    spread = {r.name: seed_spread(r.name, r.params, split, seeds) for r in results
              if seeds > 1 and MODELS[r.name].seeded}
    for name, figures in spread.items():
        low, high = figures["NDCG@10"]["ci95_over_seeds"]
        console.print(f"  {name} over {seeds} seeds: test NDCG@10 mean {figures['NDCG@10']['mean']:.4f} "
                      f"[{low:.4f}, {high:.4f}] (values {figures['NDCG@10']['values']})")
    if spread:
        extra["seeds"] = spread
    if encoder is not None:  # the encoder the text-aware rows used
        extra["encoder"], extra["encoder_backend"] = encoder, default_backend()
    if language is not None:
        extra["text_language"] = language
    if mining:
        extra["feedback_mining"] = mining
    write_json(out.with_suffix(".details.json"), extra)
    report_path = report_path or out.with_suffix(".md")
    command = "llm4rec " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    report_path.write_text(markdown_report(results, split, command, extra))
    console.print(results_table(results, f"{split.name}: test, full ranking"))
    console.print("chosen on valid: " + "; ".join(settings_lines(results)))
    console.print(f"wrote {out}, {out.with_suffix('.details.json')} and {report_path}")
    return split, results


def strongest_tuned(results: list[ModelResult]) -> list[Member]:
    """The ensemble's members: the strongest models tuned so far, by valid NDCG@10, as tuned."""
    return strongest([(r.name, r.params, r.valid.get("NDCG@10", 0.0)) for r in results])


def fitted_members(members: list[Member], results: list[ModelResult], split: Split) -> FitCache:
    """The ensemble members as this run already fitted them (chosen settings on train while
    tuning, and refitted on train+valid), keyed as the ensemble looks them up."""
    cache = FitCache(keep=2 * len(members) + Ensemble.fit_cache_entries)
    train, train_valid = split.train.fingerprint(), split.train_valid().fingerprint()
    for member in members:
        result = next(r for r in results if r.name == member.model)
        if result.tuned_model is not None:
            cache.get_or_fit(member_key(member, train), lambda result=result: result.tuned_model)
        cache.get_or_fit(member_key(member, train_valid), lambda result=result: result.model)
    return cache


def publish_best(results: list[ModelResult], split: Split, root: Path | None = None) -> Path:
    """Save the model with the best valid NDCG@10 (as refitted on train+valid and tested)
    as a bundle whose histories are all of the split's interactions."""
    best = best_on_valid(results)
    everything = split.train_valid().concat(split.test)
    metrics = {"valid": best.valid, "test": best.test, "fitted_on": "train+valid", "split": split.protocol}
    folder = save_bundle(best.model, everything, split.catalog, root or bundles_root(), metrics, split.name)
    console.print(f"published {best.name} (best valid NDCG@10 {best.valid['NDCG@10']:.4f}) as bundle {folder}")
    return folder
