"""Which bundle to serve, and starting the HTTP service."""

from __future__ import annotations

import logging
from pathlib import Path

from llm4rec.cli.console import console
from llm4rec.errors import ConfigError
from llm4rec.serving.bundle import bundles_root, latest_bundle

SERVE_BOOTSTRAP_MODELS = ["ease", "seqhybrid"]  # what `serve` trains when no bundle exists yet


def resolve_served_bundle(model_dir: Path | None) -> Path:
    """The bundle to serve: the one named, else the newest under the default root, else a
    freshly trained one on MovieLens-100k (the quickstart's data)."""
    if model_dir is not None:
        return latest_bundle(model_dir)
    root = bundles_root()
    if any(root.glob("*/*/manifest.json")):
        return latest_bundle(root)
    from llm4rec.cli.evaluation_run import publish_best, run_evaluation

    console.print(f"[bold]no model bundle under {root} yet[/]: training {', '.join(SERVE_BOOTSTRAP_MODELS)} "
                  "on MovieLens-100k first (once)")
    split, results = run_evaluation("ml-100k", SERVE_BOOTSTRAP_MODELS, root / "bootstrap" / "results.json",
                                    "loo", False, None)
    return publish_best(results, split, root)


def check_open_reads(open_reads: bool, host: str) -> None:
    """--open-reads is for a local demo: refused on an address other machines can reach."""
    import ipaddress

    if not open_reads:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigError(f"--open-reads lets anyone read every user's recommendations and profile, so it is refused "
                          f"on --host {host}", hint="Serve on 127.0.0.1 for a local demo, or give read keys "
                          "(LLM4REC_API_KEYS=key:read or --api-keys-file) and drop --open-reads.")


def run_server(bundle: Path, host: str, port: int, feedback_db: Path | None, api_keys_file: Path | None,
               rate: float, pseudonymize: bool, cache_size: int, policy: str | None,
               open_reads: bool, two_stage_from: int, llm: str | None = None) -> None:
    """Serve `bundle` with uvicorn in this process, torch on one thread (see README)."""

    import torch
    import uvicorn

    from llm4rec import artefacts
    from llm4rec.data.privacy import pseudonym_key
    from llm4rec.serving.app import create_app
    from llm4rec.serving.feedback_store import deployment_store
    from llm4rec.serving.security import ApiKeys
    from llm4rec.serving.settings import ServiceSettings
    from llm4rec.settings import settings

    torch.set_num_threads(1)  # two threads contending with the server's own work multiplied latencies
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    keys = ApiKeys.from_sources(hash_file=api_keys_file)
    if not keys.scopes:
        reads = "" if open_reads else "reads, "
        console.print(f"[yellow]note:[/] no API keys configured: {reads}POST /feedback, DELETE /users and /admin are "
                      "refused. Set LLM4REC_API_KEYS=key1,key2 or pass --api-keys-file (sha256 hashes).")
    store = feedback_db or deployment_store(bundle)
    artefacts.record("feedback", store)
    key = pseudonym_key() if settings().pseudonym_key else None
    settings = ServiceSettings(bundle_path=bundle, feedback_db=store, api_keys=keys, rate_per_second=rate,
                               pseudonymize=pseudonymize, cache_size=cache_size, policy=policy,
                               open_reads=open_reads, pseudonym_key=key, two_stage_from=two_stage_from, llm=llm)
    if llm is not None:
        console.print(f"loading the profile writer ({llm}) …")
    app = create_app(settings)
    console.print(f"serving {bundle} on http://{host}:{port}/ (API docs at /docs)")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
