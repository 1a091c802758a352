"""Fine-tuning inside fit: trained on the fit data alone, early-stopped on each history's last item."""

from __future__ import annotations

import numpy as np

import llm4rec.finetuning
from llm4rec.models.hybrid import HybridBlend
from llm4rec.models.item_features import text_vectors
from llm4rec.models.text_content import TextContent


def rows(interactions) -> set[tuple[int, int, int]]:
    return set(zip(interactions.user_index.tolist(), interactions.item_index.tolist(),
                   interactions.timestamps.tolist(), strict=True))


def test_only_the_fit_data_reaches_fine_tuning(ml100k_loo, monkeypatch):
    split = ml100k_loo.sample_users(120)
    seen = []
    real = llm4rec.finetuning.finetune

    def recording(train, valid, catalog, out, config):
        seen.append((train, valid))
        return real(train, valid, catalog, out, config.model_copy(update={"epochs": 1, "hidden": 32}))  # briefly

    monkeypatch.setattr(llm4rec.finetuning, "finetune", recording)
    model = TextContent(finetune="head").fit(split.train, split.catalog)
    (train, holdout), = seen
    assert rows(train) | rows(holdout) == rows(split.train)  # every fit row, and nothing else
    assert not rows(holdout) & (rows(split.valid) | rows(split.test))
    histories = split.train.histories()
    last = {(u, int(h[-1])) for u, h in enumerate(histories) if len(h) >= 3}
    assert {(u, i) for u, i, _ in rows(holdout)} == last  # early stopping on each history's last item
    frozen = text_vectors(split.catalog, split.train.items, None, None, "test")
    assert not np.allclose(model.item_vectors_, frozen)  # the tuned encoder is what the model reads

    HybridBlend(finetune="head").fit(split.train, split.catalog)  # same data and settings: the cached folder
    assert len(seen) == 1
    head = llm4rec.finetuning.METHOD_DEFAULTS["head"]
    monkeypatch.setitem(llm4rec.finetuning.METHOD_DEFAULTS, "head", head | {"batch_size": head["batch_size"] // 2})
    TextContent(finetune="head").fit(split.train, split.catalog)  # new defaults: never the old folder
    assert len(seen) == 2
    monkeypatch.setattr(llm4rec.finetuning, "TRAINING_VERSION", llm4rec.finetuning.TRAINING_VERSION + 1)
    TextContent(finetune="head").fit(split.train, split.catalog)  # new training code: never the old folder
    assert len(seen) == 3


def test_the_refit_fine_tunes_every_item_for_the_epochs_early_stopping_kept(ml100k_loo, monkeypatch):
    split = ml100k_loo.sample_users(120)
    seen = []
    real = llm4rec.finetuning.finetune

    def recording(train, valid, catalog, out, config):
        seen.append((train, valid, config))
        return real(train, valid, catalog, out, config.model_copy(update={"epochs": min(config.epochs, 3),
                                                                          "hidden": 32}))

    monkeypatch.setattr(llm4rec.finetuning, "finetune", recording)
    stopped = TextContent(finetune="head").fit(split.train, split.catalog)  # maybe cached by the test above
    kept = stopped.finetune_epochs_
    assert 0 <= kept <= 3
    settings = stopped.refit_settings()
    assert settings == ({"finetune_epochs": kept} if kept else {"finetune": "none"})
    if not kept:
        return
    refit = HybridBlend(finetune="head", **settings).fit(split.train_valid(), split.catalog)
    train, holdout, config = seen[-1]
    assert holdout is None and not config.early_stopping and config.epochs == kept
    assert rows(train) == rows(split.train_valid())  # the newest items are training targets too
    assert refit.refit_settings() == {}  # a fixed-epoch fit chooses nothing more


def test_the_generative_model_codes_items_from_the_fine_tuned_encoder(ml100k_loo, monkeypatch):
    """Issue 24: with finetune="head" the semantic IDs come from the encoder fine-tuned inside fit
    (the text models' folder, not a second fine-tune), and the refit keeps the fine-tune's epochs."""
    from llm4rec.models.generative import GenerativeRecommender

    split = ml100k_loo.sample_users(120)
    seen = []
    real = llm4rec.finetuning.finetune

    def recording(train, valid, catalog, out, config):
        seen.append(config)
        return real(train, valid, catalog, out, config.model_copy(update={"epochs": min(config.epochs, 3),
                                                                          "hidden": 32}))

    monkeypatch.setattr(llm4rec.finetuning, "finetune", recording)
    text = TextContent(finetune="head").fit(split.train, split.catalog)
    tuned_runs = len(seen)
    quick = {"max_epochs": 1, "hidden": 16, "layers": 1, "heads": 1}
    tuned = GenerativeRecommender(finetune="head", **quick).fit(split.train, split.catalog)
    assert len(seen) == tuned_runs and tuned.finetune_epochs_ == text.finetune_epochs_  # the same folder
    frozen = GenerativeRecommender(**quick).fit(split.train, split.catalog)
    settings = tuned.refit_settings()
    if text.finetune_epochs_:
        assert settings["finetune_epochs"] == text.finetune_epochs_
        assert not np.array_equal(tuned.semantic_ids_.codes, frozen.semantic_ids_.codes)
    else:
        assert settings["finetune"] == "none"
