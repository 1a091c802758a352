"""A slate policy serving one request at a time, learning from feedback as it arrives.

The service shows a user a slate, then hears about it only through feedback events. So the
reranker keeps each user's open slate: feedback on one of its items marks a click, and the
slate is closed (the policy learns clicks and non-clicks) when the user's next slate is
asked for. It also counts each user's ignored impressions, which the bandits read.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from llm4rec.ranking.policies import Policy, SlateContext


@dataclass
class OpenSlate:
    context: SlateContext
    columns: np.ndarray  # (1, k)
    clicks: np.ndarray  # (1, k) bool


class OnlineReranker:
    """Reranks a model's candidates for one user per call with `policy`; thread-safe."""

    def __init__(self, policy: Policy, seed: int = 0) -> None:
        self.policy = policy
        self.rng = np.random.default_rng(seed)
        self.open: dict[int, OpenSlate] = {}
        self.ignored: dict[int, defaultdict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.slates_learned = 0
        self.lock = threading.Lock()

    def rerank(self, user: int, candidates: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
        """Positions in `candidates` of the k items to show `user`, first position first."""
        with self.lock:
            self._close(user)
            available = np.isfinite(scores)
            impressions = np.array([self.ignored[user].get(int(i), 0) for i in candidates], np.float32)
            context = SlateContext(np.array([user]), candidates[None, :], scores[None, :].astype(np.float32),
                                   available[None, :], impressions[None, :])
            k = min(k, int(available.sum()))
            if k == 0:
                return np.zeros(0, np.int64)
            columns = self.policy.select(context, k, self.rng)
            self.open[user] = OpenSlate(context, columns, np.zeros(columns.shape, bool))
            return columns[0]

    def record_click(self, user: int, item: int) -> bool:
        """Mark `item` clicked if it is on the user's open slate; whether it was."""
        with self.lock:
            slate = self.open.get(user)
            if slate is None:
                return False
            hits = slate.context.candidates[0, slate.columns[0]] == item
            slate.clicks[0] |= hits
            return bool(hits.any())

    def forget(self, user: int) -> None:
        """Drop everything kept about a user: open slate, impressions, personal model."""
        with self.lock:
            self.open.pop(user, None)
            self.ignored.pop(user, None)
            self.policy.forget_users(np.array([user]))

    def _close(self, user: int) -> None:
        slate = self.open.pop(user, None)
        if slate is None:
            return
        shown = slate.context.candidates[0, slate.columns[0]]
        for item, clicked in zip(shown.tolist(), slate.clicks[0].tolist(), strict=True):
            if not clicked:
                self.ignored[user][item] += 1
        self.policy.update(slate.context, slate.columns, slate.clicks)
        self.slates_learned += 1
