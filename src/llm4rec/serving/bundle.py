"""Versioned model bundles: `<root>/<model>/<version>/`, what a service loads and swaps.

A bundle is a self-describing folder: the fitted model (its own manifest + arrays), the
interactions it was fitted on (so the service knows every user's history and the id maps),
the catalogue for titles, and a manifest with the model type, parameters, a fingerprint of
the data, metrics and the time it was made. Bundles are written to a temporary folder and
renamed into place, so a reader never sees half a bundle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import llm4rec
from llm4rec import artefacts
from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.data.report import LoadReport
from llm4rec.data.tables import read_table
from llm4rec.errors import ConfigError
from llm4rec.models.base import ARRAYS, MANIFEST, Recommender
from llm4rec.models.registry import load_model
from llm4rec.settings import cache_root

FORMAT = "llm4rec-bundle/1"
STORE_SEQ = "feedback_store_seq"  # manifest key: the feedback store's events up to this number are in the bundle


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle: model, the interactions it learned from, catalogue and manifest."""

    path: Path
    model: Recommender
    interactions: Interactions
    catalog: ItemCatalog | None
    manifest: dict[str, Any]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def text_encoder(self) -> str | None:
        """The encoder of the bundle's text: its model's, else the one chosen when it was trained,
        else the one suited to the language it recorded for its item text, else the default."""
        from llm4rec.text.languages import suitable_encoder

        language = (self.manifest.get("text_language") or {}).get("language")
        return self.model.params.get("text_model") or self.manifest.get("text_encoder") or suitable_encoder(language)

    def catalogue_vectors(self) -> np.ndarray:
        """The catalogue's text vectors by `text_encoder`, default template (encoded once, disk-cached)."""
        from llm4rec.models.item_features import text_vectors

        return text_vectors(self.catalog, self.interactions.items, self.text_encoder(), None, "query")


def bundles_root() -> Path:
    """The default bundle folder: $LLM4REC_CACHE/bundles, else ~/.cache/llm4rec/bundles."""
    return cache_root() / "bundles"


def save_bundle(model: Recommender, interactions: Interactions, catalog: ItemCatalog | None,
                root: Path | str, metrics: dict[str, Any] | None = None, dataset: str = "",
                feedback: dict[str, Any] | None = None, pseudonymized: bool = False,
                text_encoder: str | None = None, store_seq: int = 0) -> Path:
    """Write a new version of `model`'s bundle under root/<model name>/ and return its folder;
    `feedback` (the mining settings and report, when the weights were mined) goes into the
    manifest so the bundle says how its interactions were weighted; `pseudonymized` says its
    user ids are keyed hashes (forgetting then needs the key); `text_encoder` is the encoder chosen
    for the data's text (queries use it when the model itself reads no text). The root is
    recorded in the artefact ledger so `llm4rec forget` finds it. `store_seq`: the feedback store's
    events up to this sequence number are in `interactions` (a retrained bundle), so a service
    replays only later ones."""
    created = datetime.now(UTC)
    version = created.strftime("%Y%m%dT%H%M%S%fZ")
    final = Path(root) / model.name / version
    staging = final.with_name(f".{version}.partial")
    staging.mkdir(parents=True)
    model.save(staging / "model")
    interactions.to_frame().to_parquet(staging / "interactions.parquet", index=False)
    (staging / "ids.json").write_text(json.dumps(
        {"users": interactions.users.ids.tolist(), "items": interactions.items.ids.tolist()}))
    if catalog is not None:
        catalog.raw.reset_index().to_csv(staging / "items.tsv", sep="\t", index=False, lineterminator="\n")
    manifest = {
        "format": FORMAT,
        "model": model.name,
        "version": version,
        "params": model.params,
        "data": {"name": dataset, "fingerprint": interactions.fingerprint(), "users": interactions.n_users,
                 "items": interactions.n_items, "interactions": len(interactions)},
        "metrics": metrics or {},
        "feedback": feedback,
        "pseudonymized": pseudonymized,
        "text_language": text_language(catalog, interactions),
        "text_encoder": text_encoder,
        STORE_SEQ: store_seq,
        "created": created.isoformat(),
        "versions": {"llm4rec": llm4rec.__version__},
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    staging.rename(final)
    artefacts.record("bundles", root)
    return final


def text_language(catalog: ItemCatalog | None, interactions: Interactions) -> dict | None:
    """The detected language of the item text (see text.languages), or None without a catalogue."""
    if catalog is None:
        return None
    from llm4rec.text.languages import detect
    from llm4rec.text.templates import ItemTextTemplate

    return detect(ItemTextTemplate().render(catalog, interactions.items)).as_dict()


def _is_bundle(folder: Path) -> bool:
    return (folder / MANIFEST).exists() and (folder / "model").is_dir() and not folder.name.startswith(".")


def all_bundles(path: Path | str) -> list[Path]:
    """Every bundle folder at or under `path` (a bundle, a model folder or a root)."""
    path = Path(path)
    if _is_bundle(path):
        return [path]
    return sorted(p.parent for pattern in ("*/" + MANIFEST, "*/*/" + MANIFEST) for p in path.glob(pattern)
                  if _is_bundle(p.parent))


def latest_bundle(path: Path | str) -> Path:
    """The bundle folder `path` names: itself, its newest version, or the newest of any model."""
    found = all_bundles(path)
    if not found:
        raise ConfigError(f"No model bundle under {path}. Write one with `llm4rec train --out DIR` or "
                          "`llm4rec quickstart`, or pass a bundle folder.")
    return max(found, key=lambda folder: json.loads((folder / MANIFEST).read_text())["created"])


def load_bundle(path: Path | str) -> Bundle:
    """Load the bundle `path` names (see `latest_bundle`)."""
    folder = latest_bundle(path)
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise ConfigError(f"{folder} is not an llm4rec bundle (format {manifest.get('format')!r})")
    ids = json.loads((folder / "ids.json").read_text())
    frame = pd.read_parquet(folder / "interactions.parquet")
    interactions = Interactions.from_frame(frame, IdMap(ids["users"]), IdMap(ids["items"]))
    catalog = None
    if (folder / "items.tsv").exists():
        catalog = ItemCatalog.from_raw(read_table(folder / "items.tsv", "\t"), folder / "items.tsv", LoadReport())
    return Bundle(folder, load_model(folder / "model"), interactions, catalog, manifest)


def forget_user_in_bundle(bundle: Bundle, user_id: str) -> bool:
    """Erase `user_id` from a bundle on disk and in memory; True if the bundle knew them.

    Their rows leave interactions.parquet, their id in ids.json becomes an anonymous
    placeholder (per-user model arrays are indexed by position), and models that keep
    per-user state clear that user's row before the model is written again. A model that
    learned weights from users is marked in the manifest (`forgotten_since_fit`) until refitted.
    """
    folder = bundle.path
    ids = json.loads((folder / "ids.json").read_text())
    if str(user_id) not in ids["users"]:
        return False
    position = ids["users"].index(str(user_id))
    ids["users"][position] = f"\x00forgotten-{position}"
    frame = pd.read_parquet(folder / "interactions.parquet")
    _replace_file(folder / "interactions.parquet",
                  lambda path: frame[frame["user_id"].astype(str) != str(user_id)].to_parquet(path, index=False))
    _replace_file(folder / "ids.json", lambda path: path.write_text(json.dumps(ids)))
    bundle.model.forget_users(np.array([position]))
    if bundle.model.learns_from_users:
        bundle.manifest["forgotten_since_fit"] = bundle.manifest.get("forgotten_since_fit", 0) + 1
        _replace_file(folder / MANIFEST, lambda path: path.write_text(json.dumps(bundle.manifest, indent=2) + "\n"))
    staging = folder / ".model.partial"
    bundle.model.save(staging)
    for name in (ARRAYS, MANIFEST):
        os.replace(staging / name, folder / "model" / name)
    staging.rmdir()
    return True


def _replace_file(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a sibling temporary file and rename it over `path` (atomic on POSIX)."""
    staging = path.with_name(f".{path.name}.partial")
    write(staging)
    os.replace(staging, path)
