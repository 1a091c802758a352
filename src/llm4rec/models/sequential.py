"""SASRec-style causal self-attention over item sequences, with optional text and side
features fused into each item's representation (the sequential hybrid)."""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch
from pydantic import Field
from torch import nn

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.evaluation.metrics import mean_ndcg, target_ranks
from llm4rec.layers import FastDropout
from llm4rec.models.base import FitCache, ModelConfig, Recommender
from llm4rec.models.item_features import side_features, text_vectors
from llm4rec.models.negatives import NegativeSampler, Strategy
from llm4rec.progress import track
from llm4rec.reproducible import deterministic_torch

FULL_SOFTMAX_ITEMS = 20_000  # beyond this the (batch x positions x items) logits get too big
AUTO_NEGATIVES = 2048
# Held-out NDCG@10 this many times popularity's counts as having learnt the order; just above it
# can be noise (ml-latest-small, seed 1: 0.0267 against 0.0253 at epoch 2, then nothing learnt
# for 5 epochs). Margins from 1.1 to 1.5 keep the same epochs on the five replayed curves of
# benchmarks/results/sequential_stopping.md.
BEATS_POPULARITY = 1.25


class TransformerConfig(ModelConfig):
    """The settings of the causal transformer over a user's items and of its training loop."""

    hidden: int = Field(64, ge=8)
    layers: int = Field(2, ge=1)
    heads: int = Field(2, ge=1)
    dropout: float = Field(0.3, ge=0, lt=1)
    max_len: int = Field(50, ge=2, description="most recent items read per user")
    batch_size: int = Field(128, ge=1)
    learning_rate: float = Field(5e-3, gt=0)
    max_epochs: int = Field(200, ge=1)
    patience: int = Field(5, ge=1, description="epochs without holdout NDCG@10 gain before stopping")
    patience_below_popularity: int = Field(
        20, ge=1, description=f"the patience while the holdout NDCG@10 is below {BEATS_POPULARITY}x popularity's: "
        "on a large sparse catalogue the model ranks like popularity for several epochs before it learns the order "
        "(ml-latest-small: 7 epochs), and a patience of 5 stopped it there")
    holdout_users: int | None = Field(None, ge=1, description="users whose held-out last item decides early "
                                      "stopping (a seeded sample); None: every user with 3 events")
    early_stopping: bool = Field(True, description="hold each history's last item out and keep the best epoch on "
                                 "it; False: train on every item for exactly max_epochs (the refit on "
                                 "train+valid, with the epochs early stopping chose on train)")
    weighted: bool = Field(False, description="weight each target's loss by its interaction's confidence weight "
                           "(see llm4rec.feedback), normalised to mean 1 per batch")
    seed: int = 0


class SequentialConfig(TransformerConfig):
    id_dropout: float = Field(0.2, ge=0, lt=1, description="share of items trained without their ID "
                              "embedding each step, so the features alone must score them (cold start)")
    use_text: bool = False
    side_features: bool = False
    text_model: str | None = Field(None, description="local encoder path; None: all-MiniLM-L6-v2")
    template: str | None = Field(None, description="item text template; None: every column, labelled")
    negatives: int | None = Field(None, ge=0, description="sampled-softmax negatives; 0: full softmax; "
                                  f"None: full up to {FULL_SOFTMAX_ITEMS:,} items, else {AUTO_NEGATIVES:,}")
    negative_sampling: Strategy = Field("uniform", description="how sampled-softmax negatives are drawn: "
                                        "uniform, popularity (count ** popularity_exponent, log-Q corrected) "
                                        "or hard (text neighbours of the target, plus uniform)")
    popularity_exponent: float = Field(0.75, ge=0)


class ItemEncoder(nn.Module):
    """Item representation: trainable ID embedding + a small MLP of each frozen modality.

    No normalisation of the fused table: on ml-100k valid a LayerNorm there cost the text
    model about 0.02 NDCG@10 (0.085 vs 0.105); the MLP beat a linear projection by 0.004.
    """

    def __init__(self, n_items: int, hidden: int, modalities: list[np.ndarray], known: np.ndarray,
                 id_dropout: float) -> None:
        super().__init__()
        self.id_dropout = id_dropout if modalities else 0.0  # ID-only: the ID is all there is
        self.ids = nn.Embedding(n_items + 1, hidden, padding_idx=0)
        nn.init.normal_(self.ids.weight, std=0.02)
        # Items never met in training keep no ID embedding: as a negative in every softmax it
        # would only learn to push the item down, and hide what its text says (cold start).
        self.register_buffer("id_mask", torch.from_numpy(np.concatenate([[0.0], known]).astype(np.float32))[:, None])
        for index, matrix in enumerate(modalities):
            padded = np.vstack([np.zeros((1, matrix.shape[1]), np.float32), matrix])
            self.register_buffer(f"modality_{index}", torch.from_numpy(padded), persistent=False)
        self.projections = nn.ModuleList(
            nn.Sequential(nn.Linear(m.shape[1], 2 * hidden), nn.GELU(), nn.Linear(2 * hidden, hidden))
            for m in modalities
        )

    def forward(self) -> torch.Tensor:
        """(n_items + 1, hidden); row 0 is padding."""
        mask = self.id_mask
        if self.training and self.id_dropout:
            mask = mask * (torch.rand_like(mask) >= self.id_dropout)
        fused = self.ids.weight * mask
        for index, projection in enumerate(self.projections):
            fused = fused + projection(getattr(self, f"modality_{index}"))
        return fused


class SASRecNet(nn.Module):
    """Causal transformer over the last `max_len` items; next-item logits tied to items."""

    def __init__(self, items: nn.Module, config: TransformerConfig) -> None:
        super().__init__()
        self.items = items
        self.positions = nn.Embedding(config.max_len, config.hidden)
        self.scale = config.hidden**0.5  # SASRec scales item embeddings by sqrt(d) before adding positions
        layer = nn.TransformerEncoderLayer(config.hidden, config.heads, config.hidden * 2, config.dropout,
                                           batch_first=True, norm_first=True, activation="gelu")
        layer.dropout = layer.dropout1 = layer.dropout2 = FastDropout(config.dropout)  # not the attention's own
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.hidden)
        self.dropout = FastDropout(config.dropout)
        self.register_buffer("causal", torch.triu(torch.ones(config.max_len, config.max_len, dtype=torch.bool), 1))

    def hidden_states(self, sequences: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """(batch, length, hidden) for left-padded item sequences (0 = padding)."""
        length = sequences.shape[1]
        # Padding rows are zeroed rather than masked out as keys: a left-padded position with no
        # key to attend to would produce NaN that spreads through the attention weights.
        x = table[sequences] * self.scale + self.positions.weight[-length:]
        x = x * (sequences > 0).unsqueeze(-1)
        x = self.encoder(self.dropout(x), mask=self.causal[:length, :length], is_causal=True)
        return self.norm(x)


def popularity_ndcg(prefixes: list[np.ndarray], targets: np.ndarray, counts: np.ndarray) -> float:
    """NDCG@10 of each target when every item is ranked by `counts`, the prefix's items removed
    and ties counted against the target (the rule of llm4rec.evaluation), without a users x
    items matrix."""
    at_least = len(counts) - np.searchsorted(np.sort(counts), counts[targets], side="left")  # target included
    seen = np.array([np.count_nonzero(counts[np.setdiff1d(prefix, [target])] >= counts[target])
                     for prefix, target in zip(prefixes, targets, strict=True)], dtype=np.int64)
    return mean_ndcg(at_least - seen)


def _windows(sequences: list[np.ndarray], max_len: int) -> np.ndarray:
    """Non-overlapping windows of max_len + 1 values from the end of each sequence, left-padded
    with 0; for shifted item indices (0 is padding) inputs are [:, :-1] and targets [:, 1:],
    and the same call on the aligned weights gives each target's weight."""
    rows = []
    for sequence in sequences:
        for end in range(len(sequence), 1, -max_len):
            window = sequence[max(0, end - max_len - 1) : end]
            rows.append(np.pad(window, (max_len + 1 - len(window), 0)))
    dtype = sequences[0].dtype if sequences else np.int64
    return np.array(rows, dtype=dtype).reshape(-1, max_len + 1)


def _left_pad(histories: Sequence[np.ndarray], max_len: int) -> np.ndarray:
    out = np.zeros((len(histories), max_len), dtype=np.int64)
    for row, history in enumerate(histories):
        recent = history[-max_len:] + 1
        if len(recent):
            out[row, -len(recent):] = recent
    return out


class SequentialRecommender(Recommender):
    """Trained with cross-entropy over all items (or sampled softmax) at every position.

    Early stopping holds out each user's last item of the data given to `fit` and keeps the
    epoch with the best NDCG@10 on it; the held-out items still serve as input at inference.
    """

    name = "sasrec"
    encodes_text = reads_weights = True  # use_text=True reads text; weighted=True reads weights
    seeded = True
    Config = SequentialConfig

    def _modalities(self, interactions: Interactions, catalog: ItemCatalog | None) -> list[np.ndarray]:
        c = self.config
        if (c.use_text or c.side_features) and catalog is None:
            warnings.warn(f"{self.name}: no item catalogue (items.tsv), so it runs ID-only", stacklevel=3)
            return []
        modalities = []
        if c.use_text:
            modalities.append(text_vectors(catalog, interactions.items, c.text_model, c.template, self.name))
        if c.side_features:
            features = side_features(catalog, interactions.items)
            if features.shape[1]:
                modalities.append(features)
            modalities.extend(catalog.aligned_vectors(interactions.items))
        return modalities

    def _build(self, n_items: int, modalities: list[np.ndarray], known: np.ndarray) -> None:
        torch.manual_seed(self.config.seed)
        self.modalities_ = modalities
        items = ItemEncoder(n_items, self.config.hidden, modalities, known, self.config.id_dropout)
        self.net_ = SASRecNet(items, self.config)
        self._frozen_table: torch.Tensor | None = None  # set by _freeze when training ends
        self.n_items_ = n_items

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        with deterministic_torch():  # the same seed, the same model
            return self._fit(interactions, catalog)

    def _fit(self, interactions: Interactions, catalog: ItemCatalog | None) -> Self:
        c = self.config
        known = interactions.item_counts() > 0
        self.known_items_ = np.flatnonzero(known) + 1  # shifted: 0 is padding
        self._softmax_class = torch.full((interactions.n_items + 1,), -1, dtype=torch.long)  # target -> class
        self._softmax_class[self.known_items_] = torch.arange(len(self.known_items_))
        self.item_counts_ = interactions.item_counts()
        self._negative_sampler: NegativeSampler | None = None
        self._build(interactions.n_items, self._modalities(interactions, catalog), known)
        histories = interactions.histories()
        holdout_users = np.array([u for u, h in enumerate(histories) if len(h) >= 3 and c.early_stopping],
                                 dtype=np.int64)
        rng = np.random.default_rng(c.seed)
        if c.holdout_users is not None and len(holdout_users) > c.holdout_users:
            holdout_users = np.sort(rng.choice(holdout_users, c.holdout_users, replace=False))
        if c.early_stopping and not len(holdout_users):
            warnings.warn(f"{self.name}: no user has 3 events to hold one out, so it trains all "
                          f"{c.max_epochs} epochs without early stopping", stacklevel=2)
        self.stopped_early_ = bool(len(holdout_users))
        train = [h[:-1] if len(h) >= 3 and c.early_stopping else h for h in histories]
        windows = torch.from_numpy(_windows([h.astype(np.int64) + 1 for h in train], c.max_len))
        weights = None
        if c.weighted:
            weights = torch.from_numpy(_windows([w[: len(h)].astype(np.float32) for w, h in
                                                 zip(interactions.weight_histories(), train, strict=True)], c.max_len))
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=c.learning_rate)
        popularity = self._popularity_holdout_ndcg(train, histories, holdout_users) if self.stopped_early_ else -1.0
        best, best_state, stale, curve = -1.0, None, 0, []
        self.epochs_, started = 0, time.perf_counter()
        for epoch in track(range(c.max_epochs), f"training {self.name} (up to {c.max_epochs} epochs)"):
            self.net_.train()
            order = torch.from_numpy(rng.permutation(len(windows)))
            for start in range(0, len(windows), c.batch_size):
                rows = order[start : start + c.batch_size]
                batch = windows[rows]
                loss = self._loss(batch[:, :-1], batch[:, 1:], rng, None if weights is None else weights[rows, 1:])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            score = (self._holdout_ndcg([train[u] for u in holdout_users], histories, holdout_users)
                     if len(holdout_users) else float(epoch))
            curve.append(score)
            if score > best:
                best, best_state, stale, self.epochs_ = score, copy.deepcopy(self.net_.state_dict()), 0, epoch + 1
            else:
                stale += 1
                if stale >= (c.patience if best > BEATS_POPULARITY * popularity else c.patience_below_popularity):
                    break
        self.net_.load_state_dict(best_state)
        self._freeze()
        self.fit_log_ = {"epochs": self.epochs_, "holdout_ndcg10": best if self.stopped_early_ else None,
                         "holdout_curve": curve if self.stopped_early_ else None,
                         "steps_per_epoch": -(-len(windows) // c.batch_size), "seconds": time.perf_counter() - started}
        if self.stopped_early_:
            self.fit_log_["popularity_holdout_ndcg10"] = popularity
            self._warn_if_no_better_than_popularity(best, popularity)
        return self

    def _popularity_holdout_ndcg(self, train: list[np.ndarray], histories: list[np.ndarray],
                                 users: np.ndarray) -> float:
        """Popularity's NDCG@10 on the held-out items early stopping reads: below it the model has
        not learnt the order yet (it ranks the popular items), and stopping there is premature."""
        counts = np.bincount(np.concatenate(train), minlength=self.n_items_)
        return popularity_ndcg([train[u] for u in users], np.array([histories[u][-1] for u in users]), counts)

    def _warn_if_no_better_than_popularity(self, best: float, baseline: float) -> None:
        """On sparse logs without text a sequential model can collapse to recommending the few
        most popular items, and the user should hear it from the fit, not from the test."""
        if best <= baseline:
            warnings.warn(f"{self.name} ranks each history's held-out last item no better than popularity does "
                          f"(NDCG@10 {best:.4f} vs {baseline:.4f}): too little order in this data or too little "
                          "training for it (max_epochs, patience_below_popularity); prefer ease, itemknn or the "
                          "ensemble here", stacklevel=3)

    def refit_settings(self) -> dict[str, Any]:
        """Refit for the epochs early stopping chose, on every item: the held-out last item of
        each history is the newest evidence, and the epochs after the best one are not paid again."""
        return {"max_epochs": self.epochs_, "early_stopping": False} if self.stopped_early_ else {}

    def _loss(self, inputs: torch.Tensor, targets: torch.Tensor, rng: np.random.Generator,
              weights: torch.Tensor | None = None) -> torch.Tensor:
        """Mean cross-entropy of the targets, or its `weights`-weighted mean."""
        table = self.net_.items()
        states = self.net_.hidden_states(inputs, table)
        mask = targets > 0
        states, targets = states[mask], targets[mask]
        losses = self._target_losses(inputs, mask, states, targets, table, rng)
        if weights is None:
            return losses.mean()
        weights = weights[mask]
        return (losses * weights).sum() / weights.sum().clamp_min(1e-9)

    def _target_losses(self, inputs: torch.Tensor, mask: torch.Tensor, states: torch.Tensor, targets: torch.Tensor,
                       table: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        """Cross-entropy of each (unpadded) target: full softmax or sampled softmax."""
        negatives = self.config.negatives
        if negatives is None:
            negatives = 0 if self.n_items_ <= FULL_SOFTMAX_ITEMS else AUTO_NEGATIVES
        if not negatives or negatives >= self.n_items_:
            # Items never met in training are left out of the softmax: as permanent negatives
            # the text MLP would learn to recognise and bury them, defeating cold start. (Gathering
            # the known rows is the same softmax as masking the others, without a pass over the logits.)
            logits = states @ table[torch.from_numpy(self.known_items_)].T
            return nn.functional.cross_entropy(logits, self._softmax_class[targets], reduction="none")
        # Sampled softmax: the target against shared negatives (and per-row hard ones), every
        # logit minus the log of its sampling probability (zero for uniform sampling).
        sampler = self._sampler()
        log_q = torch.from_numpy(sampler.log_q)
        sampled = torch.from_numpy(sampler.shared(negatives, rng))
        positive = (states * table[targets]).sum(-1, keepdim=True) - log_q[targets][:, None]
        negative = states @ table[sampled].T - log_q[sampled][None, :]
        parts = [positive, negative.masked_fill(sampled[None, :] == targets[:, None], float("-inf"))]
        hard = sampler.hard(targets.numpy(), rng)
        if hard is not None:
            hard = torch.from_numpy(hard)
            # a neighbour the user did interact with (in this row's window) is no negative
            window = inputs[mask.nonzero()[:, 0]]
            met = (hard[:, :, None] == window[:, None, :]).any(-1) | (hard == targets[:, None])
            parts.append(torch.einsum("rd,rkd->rk", states, table[hard]).masked_fill(met, float("-inf")))
        return nn.functional.cross_entropy(torch.cat(parts, 1), torch.zeros_like(targets), reduction="none")

    def _sampler(self) -> NegativeSampler:
        """Built on first use in a fit (text neighbours cost a pass over the catalogue)."""
        if self._negative_sampler is None:
            c = self.config
            text = self.modalities_[0] if c.use_text and self.modalities_ else None
            self._negative_sampler = NegativeSampler(c.negative_sampling, self.known_items_, self.item_counts_,
                                                     c.popularity_exponent, text)
        return self._negative_sampler

    @torch.inference_mode()
    def _holdout_ndcg(self, prefixes: list[np.ndarray], histories: list[np.ndarray], users: np.ndarray) -> float:
        """NDCG@10 of each user's held-out last item given the prefix, known items removed but a
        target met before kept, ties against the target (the same rule as llm4rec.evaluation)."""
        self.net_.eval()
        scores = self._score(prefixes, None)
        targets = np.array([histories[u][-1] for u in users])
        for row, (prefix, target) in enumerate(zip(prefixes, targets, strict=True)):
            scores[row, prefix[prefix != target]] = -np.inf
        return mean_ndcg(target_ranks(scores, np.arange(len(users)), targets))

    @torch.inference_mode()
    def _item_table(self) -> torch.Tensor:
        """The item table of the current weights; cached once training is over, since
        computing it (text projections of every item) costs most of a one-user request."""
        self.net_.eval()
        if self._frozen_table is not None:
            return self._frozen_table
        return self.net_.items()

    @torch.inference_mode()
    def _freeze(self) -> None:
        self.net_.eval()
        self._frozen_table = self.net_.items()

    @torch.inference_mode()
    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        table = self._item_table()
        out = np.empty((len(histories), self.n_items_), dtype=np.float32)
        for start in range(0, len(histories), 512):
            out[start : start + 512] = (self._states(histories[start : start + 512], table) @ table[1:].T).numpy()
        return out

    def _user_vectors(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        return self._states(histories, self._item_table()).numpy()

    @torch.inference_mode()
    def _states(self, histories: Sequence[np.ndarray], table: torch.Tensor) -> torch.Tensor:
        """The transformer's state after each history's last item (its most recent `max_len`)."""
        batch = torch.from_numpy(_left_pad(histories, self.config.max_len))
        return self.net_.hidden_states(batch, table)[:, -1]

    def item_embeddings(self) -> np.ndarray:
        """The output item table the hidden state is scored against (padding row dropped)."""
        return self._item_table()[1:].numpy()

    def _state(self) -> dict[str, np.ndarray]:
        state = {f"net.{k}": v.numpy() for k, v in self.net_.state_dict().items()}
        return state | {f"modality_{i}": m for i, m in enumerate(self.modalities_)}

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        modalities = [state[f"modality_{i}"] for i in range(sum(k.startswith("modality_") for k in state))]
        self._build(self.n_items_, modalities, state["net.items.id_mask"][1:, 0] > 0)
        self._load_net(state)

    def _load_net(self, state: dict[str, np.ndarray]) -> None:
        """Set the built network's weights from `_state`'s `net.` arrays, ready to serve."""
        self.net_.load_state_dict({k[4:]: torch.from_numpy(v) for k, v in state.items() if k.startswith("net.")})
        self._freeze()


class SequentialHybrid(SequentialRecommender):
    """The sequential model reading item text (MiniLM) and side features."""

    name = "seqhybrid"
    reads_text = True

    class Config(SequentialConfig):
        use_text: bool = True
        side_features: bool = True

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        return [{}]
