"""Fine-tune the text encoder on behaviour, so item vectors learn what users consume together
and not only what sounds alike.

Examples come from the training part only: at each position of each user's training history,
(the recent items before it → the item there). The query is the recency-weighted mean of the
history's item vectors, the very profile the `text` model scores with, and the loss is a
softmax (cross-entropy with a learned temperature) over candidate items: every item that is a
training target for the `head` method, the batch's targets (in-batch negatives) for the
transformer methods, whose forward passes are too dear for a full softmax on CPU. Items that
are never training targets (valid/test-only items, cold-start items) are never candidates
either, so the model is not taught to push them down. Early stopping on valid NDCG@10 of the
`text` model.

Methods:
- `head`: a residual MLP over the frozen encoder's (cached) vectors;
- `lora` / `adalora`: peft adapters on the transformer's attention projections;
- `full`: every weight of the transformer.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.errors import ConfigError, DataError
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.extras import require
from llm4rec.profiles.vectors import recency_weights
from llm4rec.progress import track
from llm4rec.reproducible import deterministic_torch
from llm4rec.text.heads import ResidualHead
from llm4rec.text.tuned import (
    MANIFEST,
    is_tuned_folder,
    load_sentence_transformer,
    load_tuned_transformer,
    read_manifest,
)

# Raised whenever the training code changes what a fine-tune learns with the same settings (2: the
# head's dropout draws its mask with rand_like), so a cached fine-tune inside fit is never reused
# across such a change (models/item_features.tuned_encoder keys its folders by it).
TRAINING_VERSION = 2
LORA_TARGETS = ["query", "key", "value"]  # BERT-style attention names; other models: see `lora_targets`
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    "head": {"batch_size": 2048, "learning_rate": 3e-3, "history_length": 20, "steps_per_epoch": None,
             "max_minutes": 10.0},
    "lora": {"batch_size": 32, "learning_rate": 1e-3, "history_length": 3, "steps_per_epoch": 100,
             "max_minutes": 12.0},
    "adalora": {"batch_size": 32, "learning_rate": 1e-3, "history_length": 3, "steps_per_epoch": 100,
                "max_minutes": 12.0},
    "full": {"batch_size": 32, "learning_rate": 3e-5, "history_length": 3, "steps_per_epoch": 100,
             "max_minutes": 12.0},
}


class FinetuneConfig(BaseModel):
    """Settings of a fine-tuning run; None means the method's default (METHOD_DEFAULTS)."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["head", "lora", "adalora", "full"] = "head"
    base_model: str | None = Field(None, description="local encoder path; None: all-MiniLM-L6-v2")
    template: str | None = Field(None, description="item text template; None: every text column")
    epochs: int = Field(40, ge=1, description="most passes (transformer methods: most rounds of steps)")
    patience: int = Field(4, ge=1, description="stop after this many epochs without a better valid NDCG@10")
    early_stopping: bool = Field(True, description="keep the epoch with the best valid NDCG@10; False: train "
                                 "exactly `epochs` epochs with no valid data (a refit on more data, with the "
                                 "epochs early stopping chose on less)")
    batch_size: int | None = Field(None, ge=2)
    learning_rate: float | None = Field(None, gt=0)
    history_length: int | None = Field(None, ge=1, description="recent items in the query")
    half_life: float = Field(1.0, ge=0, description="recency half-life of the query, as in the text model")
    hidden: int = Field(1024, ge=1, description="head: hidden width")
    dropout: float = Field(0.1, ge=0, lt=1)
    rank: int = Field(8, ge=1, description="lora/adalora: adapter rank")
    steps_per_epoch: int | None = Field(None, ge=1, description="transformer methods: steps between valid checks")
    max_minutes: float | None = Field(None, gt=0, description="stop training after this long (head: 10, "
                                      "transformer methods: 12, to fit 15 minutes on 2 cores)")
    seed: int = 0

    def resolved(self) -> FinetuneConfig:
        """A copy with every None setting replaced by the method's default."""
        defaults = {k: v for k, v in METHOD_DEFAULTS[self.method].items() if getattr(self, k) is None}
        return self.model_copy(update=defaults)


@dataclass(frozen=True)
class NextItemExamples:
    """(recent history → next item) pairs from one user-ordered interaction table."""

    queries: np.ndarray  # (n, history_length) item indices, most recent last, -1 padding on the left
    targets: np.ndarray  # (n,)

    def __len__(self) -> int:
        return len(self.targets)


def next_item_examples(train: Interactions, history_length: int) -> NextItemExamples:
    """Every (up to `history_length` items before position t → item at t) of each training
    history; only `train` is read, so held-out items are never targets."""
    queries, targets = [], []
    for history in train.histories():
        for t in range(1, len(history)):
            recent = history[max(0, t - history_length):t]
            queries.append(np.pad(recent, (history_length - len(recent), 0), constant_values=-1))
            targets.append(history[t])
    if not targets:
        raise DataError("No training pairs: every user has fewer than two training interactions",
                        hint="Fine-tuning learns from consecutive items; use data with longer histories.")
    return NextItemExamples(np.asarray(queries, np.int64), np.asarray(targets, np.int64))


class HeadTower:
    """Item vectors = a residual head over the frozen encoder's vectors (which the encoder caches)."""

    full_softmax = True

    def __init__(self, base_vectors: np.ndarray, config: FinetuneConfig) -> None:
        self.base = torch.from_numpy(base_vectors)
        self.head = ResidualHead(base_vectors.shape[1], config.hidden, config.dropout)

    def parameters(self) -> list[torch.nn.Parameter]:
        return list(self.head.parameters())

    def train(self, mode: bool) -> None:
        self.head.train(mode)

    def vectors(self, items: torch.Tensor) -> torch.Tensor:
        return self.head(self.base[items])

    def all_vectors(self) -> np.ndarray:
        with torch.inference_mode():
            return self.head(self.base).numpy()

    def after_step(self, step: int) -> None:
        pass

    def counts(self, base_path: Path) -> tuple[int, int]:
        """(trainable, total) parameters, the total counting the frozen encoder."""
        from llm4rec.text import multilingual

        trainable = sum(p.numel() for p in self.parameters())
        if multilingual.is_multilingual_folder(base_path):  # numpy weights, not a sentence-transformers model
            with np.load(base_path / "weights.npz") as weights:
                return trainable, trainable + sum(weights[name].size for name in weights.files)
        return trainable, trainable + sum(p.numel() for p in load_sentence_transformer(base_path).parameters())

    def state(self) -> dict[str, torch.Tensor]:
        return {k: v.clone() for k, v in self.head.state_dict().items()}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self.head.load_state_dict(state)

    def save(self, folder: Path) -> None:
        torch.save(self.head.state_dict(), folder / "head.pt")


def lora_targets(model: torch.nn.Module) -> list[str] | str:
    """The linear layers LoRA adapts: BERT-style attention projections when the model has
    them, else every linear layer ('all-linear' in peft)."""
    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)}
    found = [t for t in LORA_TARGETS if t in names]
    return found if found else "all-linear"


class TransformerTower:
    """Item vectors = the sentence-transformer itself, trained through peft adapters or fully."""

    full_softmax = False

    def __init__(self, base_path: Path, texts: list[str], config: FinetuneConfig, total_steps: int) -> None:
        self.model = load_sentence_transformer(base_path)
        self.texts = texts
        self.method = config.method
        if config.method != "full":
            require("finetune", f"Fine-tuning with --method {config.method}")
            from peft import AdaLoraConfig, LoraConfig, get_peft_model

            language_model = self.model[0].model
            shared = {"r": config.rank, "lora_alpha": 2 * config.rank, "lora_dropout": config.dropout,
                      "target_modules": lora_targets(language_model)}
            if config.method == "adalora":
                adapter = AdaLoraConfig(init_r=2 * config.rank, target_r=config.rank, total_step=total_steps,
                                        tinit=total_steps // 10, tfinal=total_steps // 5, **shared)
            else:
                adapter = LoraConfig(**shared)
            self.model[0].model = get_peft_model(language_model, adapter)
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]

    def parameters(self) -> list[torch.nn.Parameter]:
        return self.trainable

    def train(self, mode: bool) -> None:
        self.model.train(mode)

    def vectors(self, items: torch.Tensor) -> torch.Tensor:
        features = self.model.preprocess([self.texts[i] for i in items.tolist()])
        return torch.nn.functional.normalize(self.model(features)["sentence_embedding"], dim=-1)

    def all_vectors(self) -> np.ndarray:
        return self.model.encode(self.texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    def after_step(self, step: int) -> None:
        if self.method == "adalora":
            self.model[0].model.base_model.update_and_allocate(step)

    def counts(self, base_path: Path) -> tuple[int, int]:
        trainable = sum(p.numel() for p in self.trainable)
        return trainable, sum(p.numel() for p in self.model.parameters())

    def state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items()
                if self.method == "full" or "lora_" in k}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(state, strict=False)

    def save(self, folder: Path) -> None:
        if self.method == "full":
            self.model.save(str(folder / "model"))
        else:
            self.model[0].model.save_pretrained(str(folder / "adapter"))


@dataclass
class FinetuneResult:
    """What a run did: parameter counts, cost, and valid NDCG@10 before, per epoch and best."""

    method: str
    trainable_parameters: int
    total_parameters: int
    examples: int
    candidates: int
    seconds: float
    peak_memory_mb: float
    frozen_valid_ndcg: float | None  # None: trained without valid data (early_stopping=False)
    valid_ndcg: list[float]
    best_valid_ndcg: float | None
    best_epoch: int  # -1: the frozen encoder was best
    stopped: str

    @property
    def trainable_share(self) -> float:
        return self.trainable_parameters / self.total_parameters


def text_model_ndcg(item_vectors: np.ndarray, cases: EvalCases, half_life: float) -> float:
    """Valid NDCG@10 of the `text` model with these item vectors."""
    from llm4rec.models.text_content import TextContent

    return evaluate(TextContent.from_vectors(item_vectors, half_life), cases, ks=(10,)).summary["NDCG@10"]


def finetune(train: Interactions, valid: Interactions | None, catalog: ItemCatalog | None, out: Path,
             config: FinetuneConfig | None = None,
             on_epoch: Callable[[int, float | None, float], None] | None = None,
             progress: bool = False) -> FinetuneResult:
    """Fine-tune on `train` with early stopping on `valid` (None with `early_stopping=False`);
    write the encoder folder to `out` and return what happened. `on_epoch(epoch, valid NDCG@10,
    seconds)` reports each epoch; `progress` shows a bar over each epoch's steps. Seeded and
    reproducible."""
    with deterministic_torch():
        return _finetune(train, valid, catalog, out, config, on_epoch, progress)


def _finetune(train: Interactions, valid: Interactions | None, catalog: ItemCatalog | None, out: Path,
              config: FinetuneConfig | None, on_epoch: Callable[[int, float | None, float], None] | None,
              progress: bool) -> FinetuneResult:
    from llm4rec.models.item_features import text_vectors
    from llm4rec.text.encoder import DEFAULT_MODEL, resolve_model_path
    from llm4rec.text.templates import ItemTextTemplate

    config = (config or FinetuneConfig()).resolved()
    torch.manual_seed(config.seed)  # dropout and initial weights; batches use their own seeded rng
    started = time.perf_counter()
    base_name = config.base_model or DEFAULT_MODEL
    base_path = resolve_model_path(base_name)
    if is_tuned_folder(base_path):
        raise ConfigError(f"{base_path} is itself a fine-tuned folder; fine-tune a plain sentence-transformers model",
                          hint="Pass the base model the folder was trained from (see its llm4rec_encoder.json).")
    frozen = text_vectors(catalog, train.items, base_name, config.template, "finetune")
    empty = ~frozen.any(axis=1)
    examples = next_item_examples(train, config.history_length)
    warm = np.unique(examples.targets)
    valid_cases = EvalCases.build(train, valid) if config.early_stopping and valid is not None else None
    if config.early_stopping and not (valid_cases and len(valid_cases)):
        raise DataError("Fine-tuning needs valid interactions for early stopping, and the split has none",
                        hint="Use a split directory with a non-empty valid.tsv, or early_stopping=False "
                             "with a number of epochs.")
    steps = config.steps_per_epoch or -(-len(examples) // config.batch_size)
    if config.method == "head":
        tower = HeadTower(frozen, config)
    else:
        texts = ItemTextTemplate(config.template).render(catalog, train.items)
        tower = TransformerTower(base_path, texts, config, steps * config.epochs)
    log_scale = torch.nn.Parameter(torch.tensor(np.log(20.0), dtype=torch.float32))
    optimizer = torch.optim.AdamW([*tower.parameters(), log_scale], lr=config.learning_rate, weight_decay=0.01)
    weights = torch.tensor(recency_weights(config.history_length, config.half_life), dtype=torch.float32)
    queries, targets = torch.from_numpy(examples.queries), torch.from_numpy(examples.targets)
    all_candidates = torch.from_numpy(warm)
    rng = np.random.default_rng(config.seed)

    def item_vectors() -> np.ndarray:
        tower.train(False)
        vectors = tower.all_vectors()
        vectors[empty] = 0.0
        return vectors

    def valid_ndcg() -> float | None:
        return None if valid_cases is None else text_model_ndcg(item_vectors(), valid_cases, config.half_life)

    frozen_ndcg = None if valid_cases is None else text_model_ndcg(frozen, valid_cases, config.half_life)
    best, best_epoch, best_state, history, stopped = frozen_ndcg, -1, tower.state(), [], "epochs"
    order, cursor, step = rng.permutation(len(examples)), 0, 0
    for epoch in range(config.epochs):
        tower.train(True)
        for _ in track(range(steps), f"epoch {epoch + 1}", enabled=progress):
            if cursor >= len(order):
                order, cursor = rng.permutation(len(examples)), 0
            batch = torch.from_numpy(order[cursor:cursor + config.batch_size])
            cursor += config.batch_size
            loss = _batch_loss(tower, queries[batch], targets[batch], weights, log_scale,
                               all_candidates if tower.full_softmax else None)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            tower.after_step(step)
            if config.max_minutes and time.perf_counter() - started > 60 * config.max_minutes:
                stopped = "time budget"
                break
        ndcg = valid_ndcg()
        if on_epoch is not None:
            on_epoch(epoch, ndcg, time.perf_counter() - started)
        if ndcg is None:  # no early stopping: the last epoch is the one kept
            best_epoch, best_state = epoch, tower.state()
        else:
            history.append(ndcg)
            if ndcg > best:
                best, best_epoch, best_state = ndcg, epoch, tower.state()
            elif epoch - best_epoch >= config.patience:
                stopped = "early stopping"
        if stopped != "epochs":
            break
    tower.load_state(best_state)
    trainable, total = tower.counts(base_path)
    result = FinetuneResult(
        config.method, trainable, total, len(examples), len(warm), round(time.perf_counter() - started, 1),
        round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), frozen_ndcg, history, best,
        best_epoch, stopped)
    out.mkdir(parents=True, exist_ok=True)
    tower.save(out)
    manifest = {"method": config.method, "dimension": int(frozen.shape[1]),
                "base_model": base_name, "settings": config.model_dump(),
                "training": result.__dict__ | {"trainable_share": result.trainable_share}}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return result


def _batch_loss(tower, queries: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor,
                log_scale: torch.Tensor, candidates: torch.Tensor | None) -> torch.Tensor:
    """Softmax cross-entropy of each query profile against the candidates (the batch's own
    targets when `candidates` is None), computing each needed item vector once."""
    if candidates is None:
        candidates = torch.unique(targets)
    needed = torch.unique(torch.cat([queries[queries >= 0], candidates, targets]))
    position = torch.full((int(needed.max()) + 1,), -1, dtype=torch.long)
    position[needed] = torch.arange(len(needed))
    vectors = tower.vectors(needed)
    # The profile is a weighted sum of item vectors: a sparse (queries × items) product, whose
    # backward pass is one more product, not a scatter of every gathered vector (3x faster on CPU).
    rows, slots = torch.nonzero(queries >= 0, as_tuple=True)
    mixing = torch.sparse_coo_tensor(torch.stack([rows, position[queries[rows, slots]]]), weights[slots],
                                     (len(queries), len(needed)), check_invariants=False)  # valid by construction
    profiles = torch.nn.functional.normalize(torch.sparse.mm(mixing, vectors), dim=-1)
    candidate_position = torch.full_like(position, -1)
    candidate_position[candidates] = torch.arange(len(candidates))
    logits = log_scale.exp() * profiles @ vectors[position[candidates]].T
    return torch.nn.functional.cross_entropy(logits, candidate_position[targets])


def merge_export(folder: Path, out: Path) -> Path:
    """A plain sentence-transformers folder with the adapter merged into the weights, for tools
    that know nothing of llm4rec (the `head` method stays an llm4rec folder)."""
    manifest = read_manifest(folder)
    if manifest["method"] == "head":
        raise DataError("A head fine-tune has no merged form: its head runs after the sentence-transformer",
                        hint="Use the folder itself as the encoder, or fine-tune with --method lora.")
    model = load_tuned_transformer(folder, manifest)
    if manifest["method"] != "full":
        model[0].model = model[0].model.merge_and_unload()
    model.save(str(out))
    return out
