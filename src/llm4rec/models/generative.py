"""Generative retrieval (TIGER-style): the model writes the next item's semantic ID, code by code.

Items are code sequences learned from their text (`semantic_ids`). A causal transformer reads the
user's items, each represented by the sum of its codes' embeddings (no per-item ID, so an item
the model never met still has a representation), and a small decoder gives p(code_1 | user),
p(code_2 | user, code_1), ... Recommendations come from beam search over the codes that exist
(`code_trie`); `score` gives every item's exact log-likelihood under the same constrained
distribution, so the shared full-ranking evaluation applies unchanged and checks the beam.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Self

import numpy as np
import scipy.sparse as sp
import torch
from pydantic import Field
from torch import nn

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.evaluation.metrics import mean_ndcg
from llm4rec.layers import FastDropout
from llm4rec.models.base import SCORE_BUDGET, FitCache, history_matrix
from llm4rec.models.code_trie import CodeTrie
from llm4rec.models.item_features import Finetune, finetune_refit, fitted_text_vectors
from llm4rec.models.semantic_ids import SemanticIds, fit_semantic_ids
from llm4rec.models.sequential import SASRecNet, SequentialRecommender, TransformerConfig


class GenerativeConfig(TransformerConfig):
    # Exact scoring of every user each epoch cost most of a fit (amazon-office: 1,700 s); a
    # sample of 1,000 decides when to stop, from the list beam search serves them.
    holdout_users: int | None = Field(1000, ge=1, description="users whose held-out last item decides "
                                      "early stopping (a seeded sample); None: every user with 3 events")
    levels: int = Field(3, ge=1, description="k-means levels of each semantic ID (a collision level follows)")
    codebook_size: int = Field(64, ge=2, description="codes per k-means level")
    id_input: bool = Field(True, description="read each item met in training by an ID embedding beside its codes "
                           "(items never met: codes alone); False: codes alone, as in TIGER")
    beam: int = Field(20, ge=1, description="beam width of constrained decoding (at least k is used)")
    decoding: Literal["beam", "exact"] = Field("beam", description="recommend by beam search, or by every "
                                               "item's exact likelihood (what `score` and evaluation use)")
    text_model: str | None = Field(None, description="local encoder path; None: all-MiniLM-L6-v2")
    template: str | None = Field(None, description="item text template; None: every column, labelled")
    finetune: Finetune = Field("none", description="fine-tune the encoder the codes come from inside fit "
                               "(see the text model)")
    finetune_epochs: int | None = Field(None, ge=1, description="see the text model")


class CodeItemTable(nn.Module):
    """Each item's input vector: the sum of the embeddings of its codes, plus (`known` given) an
    ID embedding for the items met in training only, so an item never met is read by its codes
    alone rather than by an ID vector nothing trained; row 0 is padding."""

    def __init__(self, codes: np.ndarray, vocabulary_sizes: list[int], hidden: int, known: np.ndarray | None) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(size, hidden) for size in vocabulary_sizes)
        if known is not None:
            self.embeddings.append(nn.Embedding(len(codes), hidden))
            codes = np.column_stack([codes, np.where(known, np.arange(len(codes)), -1)])
        for embedding in self.embeddings:
            nn.init.normal_(embedding.weight, std=0.02)
        self.register_buffer("codes", torch.from_numpy(codes), persistent=False)

    def forward(self) -> torch.Tensor:
        table = sum(embedding(self.codes[:, level].clamp_min(0)) * (self.codes[:, level, None] >= 0)
                    for level, embedding in enumerate(self.embeddings))
        return torch.cat([torch.zeros_like(table[:1]), table])


class CodeDecoder(nn.Module):
    """p(code at `level` | user state, the codes before it): the state plus the prefix's code
    embeddings and a level embedding, through one residual MLP block per level."""

    def __init__(self, vocabulary_sizes: list[int], hidden: int, dropout: float) -> None:
        super().__init__()
        self.prefix_codes = nn.ModuleList(nn.Embedding(size, hidden) for size in vocabulary_sizes[:-1])
        self.level = nn.Embedding(len(vocabulary_sizes), hidden)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, 4 * hidden), nn.GELU(), FastDropout(dropout),
                          nn.Linear(4 * hidden, hidden))
            for _ in vocabulary_sizes)
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in vocabulary_sizes)
        self.heads = nn.ModuleList(nn.Linear(hidden, size) for size in vocabulary_sizes)

    def prefix(self, paths: torch.Tensor, level: int) -> torch.Tensor:
        """(..., hidden) for code prefixes (..., level)."""
        vector = self.level.weight[level].expand(*paths.shape[:-1], -1)
        for position in range(level):
            vector = vector + self.prefix_codes[position](paths[..., position])
        return vector

    def logits(self, states: torch.Tensor, prefix: torch.Tensor, level: int) -> torch.Tensor:
        """(..., vocabulary of level) from states and prefix vectors that broadcast together."""
        hidden = states + prefix
        hidden = hidden + self.blocks[level](hidden)
        return self.heads[level](self.norms[level](hidden))


class GenerativeNet(SASRecNet):
    """The sequential model's causal transformer, with a code decoder as its output."""

    def __init__(self, items: CodeItemTable, decoder: CodeDecoder, config: GenerativeConfig) -> None:
        super().__init__(items, config)
        self.decoder = decoder


class GenerativeRecommender(SequentialRecommender):
    """Trained with cross-entropy of each code of the next item at every position, early-stopped
    on the held-out last item like SASRec (`SequentialRecommender`, whose training loop it shares)."""

    name = "generative"
    reads_text = encodes_text = reads_weights = True
    seeded = True
    ranks_by_scores = False  # recommend() is beam search over the codes; score() the exact likelihoods
    Config = GenerativeConfig

    finetune_epochs_: int | None = None  # the epochs a fine-tune inside fit kept (set by fit)

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        # finetune="head" lifts the model itself on valid (ml-100k 0.0882 -> 0.0985), but in the
        # grid it displaced SASRec from Amazon's ensemble of four and that ensemble's valid fell
        # (0.0884 -> 0.0870; docs/results.md, generative retrieval): a setting, not searched.
        return [{}]

    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        c = self.config
        vectors, self.finetune_epochs_ = fitted_text_vectors(catalog, interactions, c.text_model, c.template,
                                                             self.name, c.finetune, c.finetune_epochs)
        # Codebooks learn from the items met in training; the others are coded as new items are.
        met = np.flatnonzero(interactions.item_counts() > 0)
        self.semantic_ids_ = fit_semantic_ids(vectors, c.levels, c.codebook_size, met, c.seed)
        super().fit(interactions, catalog, cache)
        self.fit_log_["semantic_ids"] = self.semantic_ids_.statistics(vectors)
        return self

    def refit_settings(self) -> dict[str, Any]:
        """The epochs early stopping kept, for the transformer and for the fine-tune."""
        return super().refit_settings() | finetune_refit(self.config.finetune_epochs, self.finetune_epochs_)

    def _modalities(self, interactions: Interactions, catalog: ItemCatalog | None) -> list[np.ndarray]:
        return []  # the text reaches the model through the codes

    def _build(self, n_items: int, modalities: list[np.ndarray], known: np.ndarray | None) -> None:
        torch.manual_seed(self.config.seed)
        ids = self.semantic_ids_
        self.modalities_ = modalities
        self.trie_ = CodeTrie.build(ids.codes, ids.vocabulary_sizes)
        # The trie as tensors once per build: decoding reads them on every request.
        self._edges = [tuple(torch.from_numpy(a) for a in self.trie_.edges(level)) for level in range(self.trie_.depth)]
        self._paths = [torch.from_numpy(paths) for paths in self.trie_.paths]
        self._children = [torch.from_numpy(table) for table in self.trie_.children]
        self._valid = [table >= 0 for table in self._children]
        self._codes = torch.from_numpy(ids.codes)
        self.known_ = known
        items = CodeItemTable(ids.codes, ids.vocabulary_sizes, self.config.hidden,
                              known if self.config.id_input else None)
        decoder = CodeDecoder(ids.vocabulary_sizes, self.config.hidden, self.config.dropout)
        self.net_ = GenerativeNet(items, decoder, self.config)
        self._frozen_table = None
        self.n_items_ = n_items

    def _target_losses(self, inputs: torch.Tensor, mask: torch.Tensor, states: torch.Tensor, targets: torch.Tensor,
                       table: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        """The summed cross-entropy of the target item's codes, each given the ones before it."""
        codes = self._codes[targets - 1]
        decoder = self.net_.decoder
        losses = [nn.functional.cross_entropy(decoder.logits(states, decoder.prefix(codes[:, :level], level), level),
                                              codes[:, level], reduction="none")
                  for level in range(self.trie_.depth)]
        return torch.stack(losses).sum(0)

    def _next_code_log_probs(self, states: torch.Tensor, nodes: torch.Tensor, level: int) -> torch.Tensor:
        """log p(code | state, node's prefix) over the codes that continue each node to a real item
        (-inf for the others): states (B, hidden), nodes (B, n) -> (B, n, vocabulary of level)."""
        decoder = self.net_.decoder
        logits = decoder.logits(states[:, None, :], decoder.prefix(self._paths[level][nodes], level), level)
        return torch.log_softmax(logits.masked_fill(~self._valid[level][nodes], float("-inf")), dim=-1)

    @torch.inference_mode()
    def _holdout_ndcg(self, prefixes: list[np.ndarray], histories: list[np.ndarray], users: np.ndarray) -> float:
        """NDCG@10 of each held-out last item in the list the model serves (beam search, or the
        exact top 10 with decoding="exact"): every item's exact likelihood for every holdout
        user each epoch cost about half of a fit on ml-100k."""
        self.net_.eval()
        targets = np.array([histories[u][-1] for u in users])
        hit = self.recommend(prefixes, k=10)[0] == targets[:, None]
        return mean_ndcg(np.where(hit.any(axis=1), hit.argmax(axis=1) + 1.0, np.inf))

    def _user_vectors(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> None:
        return None  # its scores are code likelihoods, not inner products with item vectors

    def _users_per_batch(self) -> int:
        """Users decoded at once so the largest level's (users, nodes, 4 x hidden) fits the budget."""
        widest = max(len(paths) * max(4 * self.config.hidden, table.shape[1])
                     for paths, table in zip(self.trie_.paths, self.trie_.children, strict=True))
        return max(1, min(512, SCORE_BUDGET // widest))

    @torch.inference_mode()
    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        """Every item's exact log-likelihood: each level's log-probabilities at every trie node."""
        out = np.empty((len(histories), self.n_items_), dtype=np.float32)
        step = self._users_per_batch()
        for start in range(0, len(histories), step):
            states = self._states(histories[start : start + step], self._item_table())
            cumulative = torch.zeros(len(states), 1)
            for level in range(self.trie_.depth):
                nodes = torch.arange(len(self.trie_.paths[level])).expand(len(states), -1)
                log_probs = self._next_code_log_probs(states, nodes, level)
                parent, code = self._edges[level]
                cumulative = cumulative[:, parent] + log_probs[:, parent, code]
            out[start : start + len(states)] = cumulative.numpy()
        return out

    def recommend(self, histories: Sequence[np.ndarray], k: int = 10, exclude_seen: bool = True,
                  users: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Beam search over the trie (decoding="beam"), else the exact top k. A history whose beam
        ends with fewer than k new items (most leaves already seen) gets the exact top k."""
        if self.config.decoding == "exact":
            return super().recommend(histories, k, exclude_seen, users)
        self._check_fitted()
        histories = [np.asarray(h, dtype=np.int64) for h in histories]
        k = min(k, self.n_items_)
        items = np.empty((len(histories), k), dtype=np.int64)
        scores = np.empty((len(histories), k), dtype=np.float32)
        step = self._users_per_batch()
        for start in range(0, len(histories), step):
            batch = histories[start : start + step]
            seen = history_matrix(batch, self.n_items_) if exclude_seen else None
            items[start : start + len(batch)], scores[start : start + len(batch)] = self._beam_search(batch, seen, k)
        short = np.flatnonzero(~np.isfinite(scores).all(axis=1))
        if len(short):
            items[short], scores[short] = super().recommend([histories[i] for i in short], k, exclude_seen)
        return items, scores

    @torch.inference_mode()
    def _beam_search(self, histories: list[np.ndarray], seen: sp.csr_matrix | None,
                     k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k items of each history by constrained beam search (width max(beam, k))."""
        states = self._states(histories, self._item_table())
        width = max(self.config.beam, k)
        nodes = torch.zeros(len(states), 1, dtype=torch.int64)
        cumulative = torch.zeros(len(states), 1)
        for level in range(self.trie_.depth):
            candidates = cumulative[:, :, None] + self._next_code_log_probs(states, nodes, level)
            following = self._children[level][nodes]  # (B, beams, vocabulary)
            last = level == self.trie_.depth - 1
            if last and seen is not None:
                already = torch.from_numpy(seen.toarray().astype(bool))
                candidates = candidates.masked_fill(already.gather(1, following.clamp_min(0).flatten(1))
                                                    .view_as(following), float("-inf"))
            keep = min(k if last else width, candidates[0].numel())
            cumulative, best = candidates.flatten(1).topk(keep, dim=1)
            nodes = following.flatten(1).gather(1, best)
            nodes = nodes.clamp_min(0)  # a dead beam (-inf) keeps a valid node to expand harmlessly
        padding = k - nodes.shape[1]
        items = np.pad(nodes.numpy(), ((0, 0), (0, padding)))
        return items, np.pad(cumulative.numpy(), ((0, 0), (0, padding)), constant_values=-np.inf)

    def _state(self) -> dict[str, np.ndarray]:
        ids = self.semantic_ids_
        return (super()._state() | {"codes": ids.codes, "known": self.known_}
                | {f"codebook_{i}": b for i, b in enumerate(ids.codebooks)})

    def _restore(self, state: dict[str, np.ndarray]) -> None:
        books = [state[f"codebook_{i}"] for i in range(sum(k.startswith("codebook_") for k in state))]
        self.semantic_ids_ = SemanticIds(state["codes"], books)
        self._build(self.n_items_, [], state["known"])
        self._load_net(state)
