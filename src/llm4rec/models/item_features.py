"""Item side features and text vectors from the catalogue, aligned with the item index."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.errors import DataError

MAX_CATEGORIES = 200  # most frequent values kept per categorical column
MAX_DISTINCT_SHARE = 0.2  # a text column with more distinct values than this share is free text


def _categorical(column: pd.Series) -> np.ndarray | None:
    """Multi-hot of the most frequent values of a `|`-separated or low-cardinality column."""
    values = column.fillna("").astype(str)
    lists = values.str.split("|")
    exploded = lists.explode().str.strip()
    exploded = exploded[exploded != ""]
    if exploded.empty:
        return None
    multi_valued = (lists.str.len() > 1).any()
    if not multi_valued and exploded.nunique() > max(2, MAX_DISTINCT_SHARE * len(values)):
        return None  # titles, descriptions: left to the text encoder
    vocabulary = exploded.value_counts().index[:MAX_CATEGORIES]
    position = {v: i for i, v in enumerate(vocabulary)}
    out = np.zeros((len(values), len(vocabulary)), np.float32)
    rows = exploded.index.to_numpy()
    cols = exploded.map(position)
    keep = cols.notna().to_numpy()
    out[rows[keep], cols[keep].astype(int)] = 1.0
    return out


def side_features(catalog: ItemCatalog | None, items: IdMap) -> np.ndarray:
    """(n_items, f): standardised numeric columns with a missing flag, and multi-hot
    categories (genres, brand, category); f = 0 when the catalogue has none."""
    if catalog is None:
        return np.zeros((len(items), 0), np.float32)
    rows = catalog.aligned(items).reset_index(drop=True)
    parts = []
    for column in rows.columns:
        if column in catalog.numeric_columns:
            values = rows[column].to_numpy(dtype=np.float64)
            missing = np.isnan(values)
            if missing.all():
                continue
            mean, std = np.nanmean(values), np.nanstd(values) or 1.0
            parts.append(np.stack([np.where(missing, 0.0, (values - mean) / std), missing], axis=1))
        else:
            encoded = _categorical(rows[column])
            if encoded is not None:
                parts.append(encoded)
    return np.concatenate(parts, axis=1).astype(np.float32) if parts else np.zeros((len(items), 0), np.float32)


def text_vectors(catalog: ItemCatalog | None, items: IdMap, text_model: str | None, template: str | None,
                 model_name: str) -> np.ndarray:
    """(n_items, d) unit vectors of each item's text from the sentence encoder (cached)."""
    if catalog is None:
        raise DataError(
            f"The {model_name} model reads item text, but the data has no item catalogue",
            hint="Add an items.tsv (item_id plus text columns) to the split directory, or pass a "
            "catalogue file; the ID-only models (pop, itemknn, ease, als, bpr, sasrec) need none.",
        )
    from llm4rec.text.encoder import TextEncoder, encoder_name
    from llm4rec.text.templates import ItemTextTemplate, item_embeddings

    rendered = ItemTextTemplate(template)
    warn_about_text(rendered.render(catalog, items), encoder_name(text_model), model_name)
    return item_embeddings(TextEncoder(text_model), catalog, items, rendered)


Finetune = Literal["none", "head"]


def fitted_text_vectors(catalog: ItemCatalog | None, interactions: Interactions, text_model: str | None,
                        template: str | None, model_name: str, finetune: Finetune,
                        finetune_epochs: int | None = None) -> tuple[np.ndarray, int | None]:
    """The items' text vectors from the encoder as it is (`finetune="none"`), or from one
    fine-tuned inside a model's `fit` on `interactions` alone (`"head"`, see llm4rec.finetuning),
    and the epochs that fine-tune kept (None when nothing was fine-tuned here; 0 when the
    frozen encoder stayed best). With `finetune_epochs` None, the last item of each history with
    3 or more is held out for early stopping, as the sequential models do, so the items a caller
    validates or tests on are never targets; with N, every item is trained on for exactly N
    epochs (the refit on train+valid). The tuned encoder is kept under the cache root, by the
    data's fingerprint and the settings."""
    if finetune == "none" or catalog is None or _already_tuned(text_model):
        return text_vectors(catalog, interactions.items, text_model, template, model_name), None
    folder = tuned_encoder(catalog, interactions, text_model, template, finetune, finetune_epochs)
    if folder is None:
        return text_vectors(catalog, interactions.items, text_model, template, model_name), None
    from llm4rec.text.tuned import read_manifest

    kept = read_manifest(folder)["training"]["best_epoch"] + 1
    return text_vectors(catalog, interactions.items, str(folder), template, model_name), kept


def finetune_refit(configured_epochs: int | None, kept: int | None) -> dict[str, Any]:
    """The refit settings of a model that fine-tuned its encoder inside fit: the epochs the
    early-stopped fine-tune kept, trained on every item (as the sequential models' refit), or no
    fine-tune when the frozen encoder stayed best; nothing when the epochs were fixed or none ran."""
    if configured_epochs is not None or kept is None:
        return {}
    return {"finetune_epochs": kept} if kept else {"finetune": "none"}


def _already_tuned(text_model: str | None) -> bool:
    """Whether the encoder is itself a fine-tuned folder (`--encoder` after `llm4rec finetune`):
    it is used as it is, never fine-tuned again."""
    from llm4rec.text.encoder import resolve_model_path
    from llm4rec.text.tuned import is_tuned_folder

    return is_tuned_folder(resolve_model_path(text_model))  # None: the settings' encoder (--encoder)


def tuned_encoder(catalog: ItemCatalog, interactions: Interactions, text_model: str | None, template: str | None,
                  method: str, epochs: int | None = None) -> Path | None:
    """The encoder folder fine-tuned on `interactions` (made once per data and settings), early
    stopping on each long history's last item, or for exactly `epochs` on every item; None, with
    a warning, when early stopping finds no history long enough to hold an item out."""
    from llm4rec.data.splits import leave_one_out
    from llm4rec.finetuning import TRAINING_VERSION, FinetuneConfig, finetune
    from llm4rec.settings import cache_root
    from llm4rec.text.templates import ItemTextTemplate

    fixed = {} if epochs is None else {"epochs": epochs, "early_stopping": False}
    # Keyed by the resolved settings and the training code's version, so a change of a method's
    # defaults or of how it trains never reuses an old folder.
    config = FinetuneConfig(method=method, base_model=text_model, template=template, **fixed).resolved()
    texts = "\n".join(ItemTextTemplate(template).render(catalog, interactions.items))
    key = hashlib.sha256("\n".join([interactions.fingerprint(), hashlib.sha256(texts.encode()).hexdigest(),
                                     json.dumps(config.model_dump(), sort_keys=True),
                                     f"training {TRAINING_VERSION}"]).encode()).hexdigest()[:24]
    folder = cache_root() / "tuned-encoders" / key
    if folder.exists():
        return folder
    if config.early_stopping:
        split = leave_one_out(interactions)  # test: each long history's last item; valid: the one before
        if not len(split.test):
            warnings.warn("fine-tuning inside fit needs a history of 3 items to hold one out; none has, so the "
                          "encoder is used as it is", stacklevel=3)
            return None
        train, holdout = split.train.concat(split.valid), split.test
    else:
        train, holdout = interactions, None
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".staging-"))
    try:
        finetune(train, holdout, catalog, staging, config)
        staging.rename(folder)  # whole or not at all: a reader never meets half a folder
    except OSError:
        if not folder.exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def warn_about_text(texts: list[str], encoder: str, model_name: str) -> None:
    """Warn when most items have no text, or when the text is in a language the encoder does not
    cover (an English encoder meeting Chinese gives rankings no better than chance)."""
    from llm4rec.text.languages import EMPTY_WARNING, covers, detect, suitable_encoder

    found = detect(texts)
    if found.empty_share > EMPTY_WARNING:
        warnings.warn(f"{model_name}: {found.empty_share:.0%} of the items have no text, so the text model "
                      "has little to go on; add text columns to items.tsv or use an ID-only model", stacklevel=3)
    if covers(encoder, found.language) is False:
        better = suitable_encoder(found.language)
        warnings.warn(f"{model_name}: the item text is mostly {found.language!r} ({found.share:.0%} of its letters), "
                      f"which the {encoder} encoder does not cover"
                      + (f"; pass --encoder {better} (text_model={better!r})" if better else ""), stacklevel=3)
