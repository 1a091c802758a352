"""Options and checks shared by the commands: data sources, models, settings, encoders."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.markup import escape

from llm4rec import artefacts
from llm4rec.cli.console import console, fail, show_report
from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.data.load import load_split
from llm4rec.data.splits import SPLITTERS, Split
from llm4rec.models.registry import MODELS
from llm4rec.settings import Settings, overridden

if TYPE_CHECKING:
    from llm4rec.feedback.weights import FeedbackConfig

SplitDir = Annotated[Path | None, typer.Option("--split-dir", help="train/valid/test.tsv (+ items.tsv) folder")]
Data = Annotated[str | None, typer.Option("--data", help="ml-100k or a raw data path (see `inspect`)")]
Protocol = Annotated[str, typer.Option(help=f"how to split raw data: {', '.join(SPLITTERS)}")]
SkipBad = Annotated[bool, typer.Option("--skip-bad-rows", help="skip (and count) bad rows instead of failing")]
ModelName = Annotated[str, typer.Option("--model", help="model name")]
ModelParams = Annotated[str, typer.Option("--params", help="model settings as JSON, e.g. '{\"l2\": 150}'")]
Pseudonymize = Annotated[bool, typer.Option(
    "--pseudonymize", help="replace user ids by keyed hashes (key: $LLM4REC_PSEUDONYM_KEY or --key-file)")]
KeyFile = Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="file holding the pseudonym key")]
EncoderBackend = Annotated[str | None, typer.Option(
    help="how text is encoded: torch, onnx or onnx-int8 (default $LLM4REC_ENCODER_BACKEND or torch)")]
Catalog = Annotated[Path | None, typer.Option(
    exists=True, dir_okay=False, help="item catalogue for an event log (item_id + text columns)")]
MineFeedback = Annotated[bool, typer.Option(
    "--mine-feedback", help="raw data: weight each (user, item) by its events (type, dwell, repeats, rating) "
    "and let EASE/ItemKNN/ALS learn from the weights")]
FeedbackConfigFile = Annotated[Path | None, typer.Option(
    exists=True, dir_okay=False,
    help="JSON of feedback-mining settings (see docs/feedback.md); implies --mine-feedback")]


Encoder = Annotated[str | None, typer.Option(
    help="text encoder of every text-aware model: all-MiniLM-L6-v2 (English), use-multilingual (16 languages "
         "incl. Chinese), a local sentence-transformers folder or one written by `llm4rec finetune` (default: "
         "chosen by the language of the item text)")]
RayAddress = Annotated[str | None, typer.Option(
    help="run the batch work on Ray: 'auto' (a running cluster, else a local one) or an address such as "
         "ray://head:10001")]


def encoder_settings(encoder: str | None = None, backend: str | None = None,
                     ray: str | None = None) -> AbstractContextManager[Settings]:
    """The settings the command's code runs under: `encoder` and `backend` as every text
    encoder's defaults (models, queries), `ray` for large encoding batches; None leaves a
    setting as the environment has it."""
    from llm4rec.text.encoder import check_backend, encoder_id

    return overridden(encoder=encoder_id(encoder) if encoder is not None else None,
                      encoder_backend=check_backend(backend) if backend is not None else None, ray=ray)


def check_policies(names: list[str]) -> list[str]:
    """The names, if each is a slate policy; a clear failure otherwise."""
    from llm4rec.ranking.policies import POLICIES

    unknown = [n for n in names if n not in POLICIES]
    if unknown or not names:
        fail(f"unknown policies {unknown}; choose from {', '.join(POLICIES)}")
    return names


def reads_weights(name: str) -> bool:
    """Whether the model has a `weighted` setting (it can learn from mined weights)."""
    return MODELS[name].reads_weights


def mining_settings(mine: bool, config_file: Path | None) -> FeedbackConfig | None:
    """The mining settings when mining was asked for, else None."""
    if not mine and config_file is None:
        return None
    from llm4rec.feedback.weights import read_feedback_config

    return read_feedback_config(config_file)


def choose_text_encoder(catalog: ItemCatalog | None) -> tuple[str | None, dict | None]:
    """The encoder the text-aware models fit with on this catalogue: the one chosen (--encoder,
    $LLM4REC_ENCODER), else one suited to the language of the item text (the multilingual one for
    Chinese, say; said on the console), else None for the default; and what was detected."""
    from llm4rec.settings import settings

    if catalog is None:
        return settings().encoder, None
    from llm4rec.text.languages import detect, suitable_encoder
    from llm4rec.text.templates import ItemTextTemplate

    found = detect(ItemTextTemplate().render(catalog, IdMap(catalog.frame.index.astype(str).tolist())))
    record = found.as_dict()
    chosen = suitable_encoder(found.language) if settings().encoder is None else None
    if chosen is not None:
        console.print(f"[yellow]note:[/] the item text is mostly {found.language!r} ({found.share:.0%} of its "
                      f"letters): the text-aware models use the {chosen} encoder (--encoder to choose another)")
        record["encoder_chosen"] = chosen
    return settings().encoder or chosen, record


def with_encoder(name: str, grid: list[dict] | None, encoder: str | None) -> list[dict] | None:
    """The model's grid (its search space by default) with `text_model` set, for models that take
    one, so results and bundles record the encoder and `train --params-from` reproduces it."""
    if encoder is None or not MODELS[name].encodes_text:
        return grid
    return [params | {"text_model": encoder} for params in (grid or MODELS[name].search_space())]


def load_data(source: str, protocol: str, skip_bad_rows: bool, catalog: Path | None,
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


def weighted_grid(name: str) -> list[dict] | None:
    """The model's search space with `weighted` on, for models that can read weights."""
    if not reads_weights(name):
        return None
    return [params | {"weighted": True} for params in MODELS[name].search_space()]


def private_split(split: Split, pseudonymize: bool, key_file: Path | None) -> Split:
    if not pseudonymize:
        return split
    from llm4rec.data.privacy import pseudonym_key, pseudonymize_split

    return pseudonymize_split(split, pseudonym_key(key_file))


def read_results(path: Path) -> dict:
    """An `evaluate` results JSON; one that does not parse is a clear error (exit 2)."""
    try:
        results = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        fail(f"{path} is not an `evaluate` results JSON ({error})")
    if not isinstance(results, dict):
        fail(f"{path} is not an `evaluate` results JSON (an object of models)")
    return results


DropSuspicious = Annotated[bool, typer.Option(
    "--drop-suspicious", help="leave out the users the shilling detector flags as fake profiles (detected on the "
                              "training part's ratings; the count is printed and the ids written beside the output)")]


def drop_suspicious(split: Split, listing: Path) -> Split:
    """The split without the users `feedback.shilling.detect_fakes` flags on its training part;
    says how many and writes their ids to `listing`, one a line."""
    from llm4rec.feedback.shilling import detect_fakes

    try:
        flagged = np.flatnonzero(detect_fakes(split.train))
    except ValueError as error:
        fail(f"--drop-suspicious: {error}")
    listing.parent.mkdir(parents=True, exist_ok=True)
    listing.write_text("".join(f"{split.train.users.ids[u]}\n" for u in flagged))
    artefacts.record("user_list", listing)  # ids of users: `llm4rec forget` reaches this file too
    console.print(f"[yellow]note:[/] {len(flagged)} suspicious users dropped (shilling detector); ids in {listing}")
    return split.without_users(flagged)


def parse_params(text: str) -> dict:
    """`--params` as a dict; invalid JSON or anything but an object is a clear error (exit 2).
    Each model checks the keys and values itself (unknown keys name the valid ones)."""
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"--params is not valid JSON ({error}); write an object such as '{{\"l2\": 150}}'")
    if not isinstance(settings, dict):
        fail(f"--params must be a JSON object such as '{{\"l2\": 150}}'; got {escape(text)}")
    return settings


def data_source(split_dir: Path | None, data: str | None) -> str:
    if (split_dir is None) == (data is None):
        fail("pass exactly one of --split-dir DIR or --data SOURCE")
    return str(split_dir if split_dir is not None else data)


def model_names(models: str) -> list[str]:
    names = list(MODELS) if models == "all" else [m.strip() for m in models.split(",") if m.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        fail(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)} or 'all'")
    return names


