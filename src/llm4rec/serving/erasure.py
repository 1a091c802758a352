"""Forgetting a user in every place llm4rec wrote them, and saying plainly what is left.

Erased: the user's events in the feedback stores, their rows and id in every bundle of the given
roots (per-user model state cleared), and the HTML reports made from those bundles (written
again without them). Left, and said: model weights learned with the user (until refitted, which
`refit` does: a new version is fitted on the remaining data and the versions that learned from
the user are removed), and the source data llm4rec read but never writes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from llm4rec import artefacts
from llm4rec.errors import ConfigError
from llm4rec.models.base import MANIFEST
from llm4rec.models.registry import create_model, model_class
from llm4rec.serving.bundle import Bundle, all_bundles, forget_user_in_bundle, load_bundle, save_bundle
from llm4rec.serving.feedback_store import FeedbackStore
from llm4rec.settings import cache_root


@dataclass
class Erasure:
    """What forgetting did: places erased, places it could not touch, weights still influenced."""

    erased: list[str] = field(default_factory=list)
    not_touched: list[str] = field(default_factory=list)
    influence_remains: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"erased from {len(self.erased)} place(s):"] + [f"  {place}" for place in self.erased]
        if not self.erased:
            out = ["the user was found nowhere llm4rec wrote (0 places erased)"]
        if self.influence_remains:
            out += ["model weights still learned with the user (refit: `llm4rec forget --user ID --refit`):"]
            out += [f"  {place}" for place in self.influence_remains]
        out += ["not touched (llm4rec did not write these; remove the user there yourself):"]
        out += [f"  {place}" for place in self.not_touched]
        return out


@dataclass(frozen=True)
class Places:
    """Where to look: bundle roots, feedback stores, and the service's own loaded bundle and store
    (updated in memory too) when a running service forgets."""

    roots: list[Path]
    stores: list[Path]
    loaded: Bundle | None = None
    open_store: FeedbackStore | None = None
    user_lists: list[Path] = field(default_factory=list)  # files of user ids, one a line

    @classmethod
    def everywhere(cls, roots: list[Path], stores: list[Path]) -> Places:
        """The given places plus every bundle root and feedback store in the artefact ledger."""
        return cls(_unique(roots + [Path(e["path"]) for e in artefacts.recorded("bundles")]),
                   _unique(stores + [Path(e["path"]) for e in artefacts.recorded("feedback")]),
                   user_lists=[Path(e["path"]) for e in artefacts.recorded("user_list")])


def erase_user(user_id: str, places: Places, key: bytes | None = None, refit: bool = False) -> Erasure:
    """Erase `user_id` (a raw id; with `key`, its pseudonym too) from every place; see the module."""
    from llm4rec.data.privacy import pseudonym

    erasure = Erasure()
    folders = [f for root in places.roots if root.exists() for f in all_bundles(root)]
    hashed = [f for f in folders if _manifest(f).get("pseudonymized")]
    if hashed and key is None:
        raise ConfigError(f"{hashed[0]} holds pseudonymised user ids, so the raw id alone finds nothing there",
                          hint="Give the pseudonym key: --key-file FILE or $LLM4REC_PSEUDONYM_KEY.")
    ids = [user_id] + ([pseudonym(user_id, key)] if key is not None else [])
    _erase_from_stores(ids, places, erasure)
    _erase_from_lists(ids, places.user_lists, erasure)
    touched = _erase_from_bundles(ids, folders, places.loaded, erasure)
    _untouched_sources(touched, erasure)
    # --refit also refits versions marked by an earlier forget without it (`forgotten_since_fit`)
    pending = [f for f in folders if f not in touched and _manifest(f).get("forgotten_since_fit")]
    replaced = _refit(touched + pending, erasure) if refit else {}
    for folder in touched:
        if folder not in replaced and model_class(_manifest(folder)["model"]).learns_from_users:
            erasure.influence_remains.append(f"{folder} ({folder.parent.name})")
    _rewrite_reports(touched, replaced, erasure)
    return erasure


def write_served_report(results: Path, bundle: Bundle, out: Path, language: str = "en") -> Path:
    """The HTML report of `results` with user cards from `bundle` in `language`, recorded in the
    artefact ledger so forgetting a user writes it again."""
    from llm4rec.evaluation.html_report import write_report

    written = write_report(results, bundle.model, bundle.interactions, bundle.catalog, out, language=language)
    artefacts.record("report", written, results=Path(results).resolve(), bundle=bundle.path.resolve(),
                     language=language)
    return written


def _erase_from_stores(ids: list[str], places: Places, erasure: Erasure) -> None:
    open_path = Path(places.open_store.path).resolve() if places.open_store is not None else None
    paths = _unique(places.stores + ([open_path] if open_path is not None else []))
    for path in paths:
        if not path.exists():
            continue
        store = places.open_store if path.resolve() == open_path else FeedbackStore(path)
        deleted = sum(store.delete_user(i) for i in ids)
        if store is not places.open_store:
            store.close()
        if deleted:
            erasure.erased.append(f"feedback store {path}: {deleted} event(s)")


def _erase_from_lists(ids: list[str], lists: list[Path], erasure: Erasure) -> None:
    for path in lists:
        lines = path.read_text().splitlines()
        kept = [line for line in lines if line not in ids]
        if len(kept) != len(lines):
            path.write_text("".join(f"{line}\n" for line in kept))
            erasure.erased.append(f"user list {path}: the id")


def _erase_from_bundles(ids: list[str], folders: list[Path], loaded: Bundle | None, erasure: Erasure) -> list[Path]:
    touched = []
    for folder in folders:
        if not set(ids) & set(json.loads((folder / "ids.json").read_text())["users"]):
            continue  # read the id map before loading a model that never saw the user
        bundle = loaded if loaded is not None and folder == loaded.path else load_bundle(folder)
        if any([forget_user_in_bundle(bundle, i) for i in ids]):
            touched.append(folder)
            erasure.erased.append(f"bundle {folder}: interactions, id and per-user model state")
    return touched


def _refit(touched: list[Path], erasure: Erasure) -> dict[Path, Path]:
    """Fit the newest of these versions of each model again on its remaining data, publish it,
    and remove the versions of that model it supersedes; {old folder: new folder}."""
    replaced = {}
    newest: dict[Path, Path] = {}
    for folder in touched:
        model_folder = folder.parent
        newest[model_folder] = max(newest.get(model_folder, folder), folder, key=lambda f: f.name)
    for model_folder, folder in newest.items():
        bundle = load_bundle(folder)
        if not bundle.model.learns_from_users:
            continue
        model = create_model(bundle.model.name, **bundle.model.params).fit(bundle.interactions, bundle.catalog)
        metrics = bundle.manifest.get("metrics", {}) | {"refitted_after_erasure_of": folder.name}
        fresh = save_bundle(model, bundle.interactions, bundle.catalog, model_folder.parent, metrics,
                            bundle.manifest["data"]["name"], bundle.manifest.get("feedback"),
                            bool(bundle.manifest.get("pseudonymized")))
        erasure.erased.append(f"refitted {bundle.model.name} without the user: new version {fresh}")
        for old in [f for f in touched if f.parent == model_folder]:
            shutil.rmtree(old)
            replaced[old] = fresh
            erasure.erased.append(f"removed version {old}, which had learned from the user")
    return replaced


def _rewrite_reports(touched: list[Path], replaced: dict[Path, Path], erasure: Erasure) -> None:
    """Write again every recorded report made from a touched bundle (its user cards change)."""
    for entry in artefacts.recorded("report"):
        source = Path(entry.get("bundle", ""))
        if source not in touched:
            continue
        results, out = Path(entry["results"]), Path(entry["path"])
        bundle_folder = replaced.get(source, source)
        if not results.exists():
            out.unlink()
            erasure.erased.append(f"report {out}: removed (its results file is gone)")
            continue
        write_served_report(results, load_bundle(bundle_folder), out, entry.get("language", "en"))
        erasure.erased.append(f"report {out}: written again without the user")


def _untouched_sources(touched: list[Path], erasure: Erasure) -> None:
    names = sorted({_manifest(f)["data"]["name"] or f.parent.name for f in touched})
    if names:
        erasure.not_touched.append(f"the source data the bundles were trained from ({', '.join(names)})")
    downloaded = cache_root() / "ml-100k"
    if downloaded.exists():
        erasure.not_touched.append(f"the public MovieLens-100k files llm4rec unpacked under {downloaded} (ratings, "
                                   "and the user table's age, sex, job and zip code); delete the folder to drop them")
    if not erasure.not_touched:
        erasure.not_touched.append("none found")


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def _unique(paths: list[Path]) -> list[Path]:
    seen: dict[Path, None] = {}
    for path in paths:
        seen.setdefault(Path(path).resolve(), None)
    return list(seen)
