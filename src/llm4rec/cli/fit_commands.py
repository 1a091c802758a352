"""The commands that fit models: models, evaluate, quickstart, train, finetune."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from llm4rec.cli.app import app
from llm4rec.cli.console import console, fail
from llm4rec.cli.evaluation_run import run_evaluation
from llm4rec.cli.options import (
    Catalog,
    Data,
    DropSuspicious,
    Encoder,
    EncoderBackend,
    FeedbackConfigFile,
    KeyFile,
    MineFeedback,
    ModelName,
    ModelParams,
    Protocol,
    Pseudonymize,
    RayAddress,
    SkipBad,
    SplitDir,
    choose_text_encoder,
    data_source,
    drop_suspicious,
    encoder_settings,
    load_data,
    mining_settings,
    model_names,
    parse_params,
    private_split,
    read_results,
    reads_weights,
)
from llm4rec.models.registry import MODELS, create_model

# Within minutes on 2 cores (`evaluate --models all` runs every model): the baselines, the text-aware
# models, SASRec as the reference, and the ensemble of the strongest, which reuses their fits.
QUICKSTART_MODELS = "pop,itemknn,ease,als,text,hybrid,sasrec,ensemble"


@app.command()
def models() -> None:
    """List registered models: name, a tab, and `text` or `ids` (what the model reads)."""
    for name, cls in MODELS.items():
        print(f"{name}\t{'text' if cls.reads_text else 'ids'}")


@app.command()
def evaluate(
    split_dir: SplitDir = None,
    data: Data = None,
    models: Annotated[str, typer.Option(help="comma-separated model names, or 'all'")] = "all",
    out: Annotated[Path, typer.Option(help="results JSON (details and a markdown report beside it)")] = Path(
        "results.json"),
    protocol: Protocol = "loo",
    report: Annotated[Path | None, typer.Option(help="markdown report path")] = None,
    skip_bad_rows: SkipBad = False,
    catalog: Catalog = None,
    mine_feedback: MineFeedback = False,
    feedback_config: FeedbackConfigFile = None,
    encoder: Encoder = None,
    encoder_backend: EncoderBackend = None,
    ray: RayAddress = None,
    sample_users: Annotated[int | None, typer.Option(
        min=1, help="evaluate (valid and test) on a seeded sample of this many users; training uses every "
                    "event. For logs too large to rank every user's items")] = None,
    suspicious: DropSuspicious = False,
    seeds: Annotated[int, typer.Option(
        min=1, help="refit and test the models whose training is random with this many seeds; the mean and an "
                    "interval over seeds go beside the bootstrap interval (details: seeds)")] = 1,
) -> None:
    """Tune each model on valid, refit on train+valid, report full-ranking test metrics."""
    with encoder_settings(encoder, encoder_backend, ray):  # catalogue encoding goes to Ray too
        run_evaluation(data_source(split_dir, data), model_names(models), out, protocol, skip_bad_rows, report,
                       skip_failing=models == "all", catalog=catalog,
                       feedback=mining_settings(mine_feedback, feedback_config), ray=ray, sample_users=sample_users,
                       suspicious=suspicious, seeds=seeds)


@app.command()
def quickstart(
    out_dir: Annotated[Path, typer.Option(help="where results and the report go")] = Path("runs/quickstart"),
    models: Annotated[str, typer.Option(help="models to compare")] = QUICKSTART_MODELS,
) -> None:
    """MovieLens-100k end to end: data, split, tuned models, evaluation, sample recommendations."""
    from llm4rec.cli.evaluation_run import publish_best
    from llm4rec.cli.showcase import gains, sample_recommendations
    from llm4rec.evaluation.protocol import best_on_valid

    started = time.perf_counter()
    made, results = run_evaluation("ml-100k", model_names(models), out_dir / "results.json", "loo",
                                   False, out_dir / "report.md")
    for line in gains(results):
        console.print(line)
    sample_recommendations(best_on_valid(results), made.catalog)  # the model published
    bundle = publish_best(results, made)
    from llm4rec.serving.bundle import load_bundle
    from llm4rec.serving.erasure import write_served_report

    report_html = write_served_report(out_dir / "results.json", load_bundle(bundle), out_dir / "report.html")
    console.print(f"wrote {report_html}")
    console.print(f"[bold]quickstart finished in {time.perf_counter() - started:.1f} s[/]")


@app.command()
def train(
    split_dir: SplitDir = None,
    data: Data = None,
    model: ModelName = "ease",
    params: ModelParams = "{}",
    params_from: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="an `evaluate` results JSON: use the settings it chose for --model "
                                          "(--params overrides any of them)")] = None,
    out: Annotated[Path | None, typer.Option(help="bundle root (default $LLM4REC_CACHE/bundles)")] = None,
    pseudonymize: Pseudonymize = False,
    key_file: KeyFile = None,
    catalog: Catalog = None,
    mine_feedback: MineFeedback = False,
    feedback_config: FeedbackConfigFile = None,
    encoder: Encoder = None,
    encoder_backend: EncoderBackend = None,
    skip_bad_rows: SkipBad = False,
    suspicious: DropSuspicious = False,
) -> None:
    """Fit a model on all of the data and save it as a new versioned bundle to serve (with
    --mine-feedback, on mined weights; the mining settings are saved in the bundle)."""
    with encoder_settings(encoder, encoder_backend):
        from llm4rec.serving.bundle import bundles_root, save_bundle

        settings = parse_params(params)
        metrics = {}
        if params_from is not None:
            evaluated = read_results(params_from)
            if model not in evaluated:
                fail(f"{params_from} has no results for {model!r}; it has {', '.join(evaluated)}")
            settings, metrics = evaluated[model]["params"] | settings, {"evaluated_as": evaluated[model]}
        feedback = mining_settings(mine_feedback, feedback_config)
        made, mining = load_data(data_source(split_dir, data), "loo", skip_bad_rows, catalog, feedback)
        if mining and reads_weights(model):
            settings = settings | {"weighted": True}
        text_encoder, _ = choose_text_encoder(made.catalog)  # --encoder, else by the text's language
        if MODELS[model].encodes_text and text_encoder is not None and (
                encoder is not None or settings.get("text_model") is None):
            settings = settings | {"text_model": text_encoder}  # recorded in the bundle
        if suspicious:
            made = drop_suspicious(made, Path("suspicious_users.txt"))
        made = private_split(made, pseudonymize, key_file)
        everything = made.train_valid().concat(made.test)
        started = time.perf_counter()
        fitted = create_model(model, **settings).fit(everything, made.catalog)
        metrics["fit_seconds"] = round(time.perf_counter() - started, 3)
        folder = save_bundle(fitted, everything, made.catalog, out or bundles_root(), metrics, made.name,
                             feedback=mining or None, pseudonymized=pseudonymize, text_encoder=text_encoder)
        console.print(f"fitted {model} on {len(everything):,} interactions in {metrics['fit_seconds']:.1f} s; "
                      f"bundle written to {folder}")


@app.command()
def finetune(
    out: Annotated[Path, typer.Option(help="folder for the fine-tuned encoder (use it with --encoder)")],
    split_dir: SplitDir = None,
    data: Data = None,
    method: Annotated[str, typer.Option(
        help="head (a residual head over the frozen encoder; measured best), lora, adalora or full")] = "head",
    epochs: Annotated[int | None, typer.Option(min=1, help="most epochs (early stopping on valid)")] = None,
    base_model: Annotated[str | None, typer.Option(
        help="local sentence-transformers folder to start from (default all-MiniLM-L6-v2)")] = None,
    params: Annotated[str, typer.Option("--params", help="more settings as JSON, e.g. '{\"rank\": 16}'")] = "{}",
    merge: Annotated[Path | None, typer.Option(
        help="also write a merged sentence-transformers folder here (lora, adalora, full)")] = None,
    protocol: Protocol = "loo",
    skip_bad_rows: SkipBad = False,
    catalog: Catalog = None,
) -> None:
    """Fine-tune the text encoder on the training part's behaviour (recent items -> next item),
    with early stopping on valid; the folder works wherever an encoder path is expected."""
    from pydantic import ValidationError

    from llm4rec.finetuning import FinetuneConfig, merge_export
    from llm4rec.finetuning import finetune as run_finetune

    settings = parse_params(params) | {"method": method, "base_model": base_model}
    if epochs is not None:
        settings["epochs"] = epochs
    try:
        config = FinetuneConfig(**settings)
    except ValidationError as error:
        fail(f"bad fine-tuning settings: {error}")
    made, _ = load_data(data_source(split_dir, data), protocol, skip_bad_rows, catalog, None)
    stopping = (f"early stopping on {len(made.valid):,} valid rows" if config.early_stopping
                else f"exactly {config.epochs} epochs")
    console.print(f"[bold]{made.name}[/]: fine-tuning ({config.method}) on {len(made.train):,} training rows; "
                  f"{stopping}")
    result = run_finetune(made.train, made.valid, made.catalog, out, config, progress=True,
                          on_epoch=lambda epoch, ndcg, seconds: console.print(
                              f"  epoch {epoch + 1}" + ("" if ndcg is None else f": valid NDCG@10 {ndcg:.4f}")
                              + f" ({seconds:.0f} s)"))
    console.print(f"trainable parameters {result.trainable_parameters:,} of {result.total_parameters:,} "
                  f"({result.trainable_share:.2%}); {result.examples:,} training pairs; "
                  f"{result.seconds:.0f} s; peak memory {result.peak_memory_mb:,.0f} MB; stopped by {result.stopped}")
    if result.best_valid_ndcg is not None:
        console.print(f"valid NDCG@10 of the text model: frozen {result.frozen_valid_ndcg:.4f} -> "
                      f"fine-tuned {result.best_valid_ndcg:.4f} (epoch {result.best_epoch + 1})")
    if merge is not None:
        merge_export(out, merge)
        console.print(f"merged sentence-transformers model written to {merge}")
    console.print(f"wrote {out}; use it with `llm4rec evaluate ... --encoder {out}`")


@app.command("semantic-ids")
def semantic_ids(
    out: Annotated[Path, typer.Option(help="folder for codes.tsv, codebooks.npz and statistics.json")],
    split_dir: SplitDir = None,
    data: Data = None,
    levels: Annotated[int, typer.Option(min=1, help="k-means levels (a collision level follows)")] = 3,
    codebook_size: Annotated[int, typer.Option(min=2, help="codes per level")] = 64,
    encoder: Encoder = None,
    template: Annotated[str | None, typer.Option(help="item text template (default: every column, labelled)")] = None,
    seed: int = 0,
    protocol: Protocol = "loo",
    skip_bad_rows: SkipBad = False,
    catalog: Catalog = None,
) -> None:
    """Give every item a semantic ID: residual k-means codes of its text vector, learned on the
    items met in training (the others are coded as new items are), plus a collision number that
    makes each item's codes unique. The `generative` model learns these in its own fit."""
    import json

    import numpy as np
    import pandas as pd

    from llm4rec.models.item_features import text_vectors
    from llm4rec.models.semantic_ids import fit_semantic_ids

    with encoder_settings(encoder):
        made, _ = load_data(data_source(split_dir, data), protocol, skip_bad_rows, catalog, None)
        text_encoder, _ = choose_text_encoder(made.catalog)
        vectors = text_vectors(made.catalog, made.train.items, text_encoder, template, "semantic-ids")
    met = np.flatnonzero(made.train.item_counts() > 0)
    ids = fit_semantic_ids(vectors, levels, codebook_size, met, seed)
    statistics = ids.statistics(vectors) | {"encoder": text_encoder or "all-MiniLM-L6-v2", "fitted_on_items": len(met)}
    out.mkdir(parents=True, exist_ok=True)
    columns = [f"level_{level + 1}" for level in range(levels)] + ["collision"]
    frame = pd.DataFrame(ids.codes, columns=columns).assign(item_id=made.train.items.ids)
    frame[["item_id", *columns]].to_csv(out / "codes.tsv", sep="\t", index=False)
    np.savez(out / "codebooks.npz", **{f"level_{i + 1}": book for i, book in enumerate(ids.codebooks)})
    (out / "statistics.json").write_text(json.dumps(statistics, indent=2) + "\n")
    for level, row in enumerate(statistics["levels"], 1):
        console.print(f"level {level}: {row['codes_used']} of {row['codebook_size']} codes used "
                      f"(perplexity {row['perplexity']}); unexplained energy {row['relative_error']:.1%}")
    console.print(f"{statistics['items_sharing_codes']:,} of {statistics['items']:,} items share their k-means codes "
                  f"with another (largest group {statistics['largest_collision']}), told apart by the collision "
                  f"level; wrote {out}")
