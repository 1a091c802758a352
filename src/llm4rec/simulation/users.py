"""Simulated users grounded in real data: who clicks what, and how that changes them.

A user u clicks an item i shown at slate position j with probability
examination(j) * sigmoid(logit), where

    logit = sharpness * (preference[u, i] - threshold)       latent taste (fixed)
            + interest[u, topic(i)]                            slow drift, reinforced by clicks
            - satiation * recent_clicks[u, topic(i)]           short-term satiation (decays)
            - annoyance * log(1 + ignored_impressions[u, i])     an item shown and ignored tires

and after a round with no click the user leaves with probability churn + boredom * the
number of click-less rounds in a row. `preference` is each user's Gaussianised rank of every
item under a model fitted on all of their data, so the taste being simulated is that of a
real MovieLens user, not a random vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, ndtri

from llm4rec.ranking.policies import examination


@dataclass(frozen=True)
class UserModelConfig:
    """Assumptions of the user model (each is documented in the README's simulator section)."""

    sharpness: float = 1.5  # logit change per unit of Gaussianised preference rank
    threshold: float = 2.3  # the preference at which an examined item is clicked half the time (top ~1 %)
    satiation: float = 0.4  # logit lost per recent click on the same topic
    satiation_decay: float = 0.8  # per round: satiation halves in about three rounds
    annoyance: float = 0.3  # logit lost per log(1 + earlier impressions of the item that were ignored)
    reinforcement: float = 0.05  # interest gained by a topic per round, times its share of the round's clicks
    interest_decay: float = 0.98  # per round: interest offsets drift back towards zero
    drift: float = 0.03  # standard deviation of the random interest change per topic and round
    churn: float = 0.001  # chance of leaving after any round
    boredom: float = 0.005  # extra chance of leaving per click-less round in a row


def gaussianised_ranks(scores: np.ndarray) -> np.ndarray:
    """Each row's scores replaced by standard-normal quantiles of their ranks: a scale-free
    preference (heavy-tailed model scores would make a few users click everything)."""
    ranks = np.argsort(np.argsort(scores, axis=1, kind="stable"), axis=1, kind="stable")
    return ndtri((ranks + 0.5) / scores.shape[1]).astype(np.float32)


class SimulatedUsers:
    """The state of every simulated user; `respond` shows slates and advances one round."""

    def __init__(self, preference: np.ndarray, topics: np.ndarray, config: UserModelConfig | None = None,
                 seed: int = 0) -> None:
        self.config = config or UserModelConfig()
        self.preference = np.asarray(preference, np.float32)  # (n_users, n_items)
        self.topics = np.asarray(topics, np.int64)  # (n_items,)
        self.n_users, self.n_items = self.preference.shape
        self.n_topics = int(self.topics.max()) + 1
        self.rng = np.random.default_rng(seed)
        self.active = np.ones(self.n_users, bool)
        self.interest = np.zeros((self.n_users, self.n_topics), np.float32)
        self.recent = np.zeros((self.n_users, self.n_topics), np.float32)
        self.ignored = np.zeros((self.n_users, self.n_items), np.float32)
        self.dry_rounds = np.zeros(self.n_users, np.int64)
        self.base_interest = self._base_interest()

    def _base_interest(self) -> np.ndarray:
        """(n_users, n_topics) log of the mean click appeal of each topic's items, before any
        drift: the taste the interest offsets move away from."""
        c = self.config
        appeal = expit(c.sharpness * (self.preference - c.threshold))
        totals = np.zeros((self.n_users, self.n_topics))
        np.add.at(totals.T, self.topics, appeal.T)
        sizes = np.bincount(self.topics, minlength=self.n_topics)
        return np.log(totals / np.maximum(sizes, 1) + 1e-9).astype(np.float32)

    def appeal(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Click probability of each item (users x items arrays) if examined, in the current state."""
        c = self.config
        topic = self.topics[items]
        rows = users[:, None]
        logit = (c.sharpness * (self.preference[rows, items] - c.threshold) + self.interest[rows, topic]
                 - c.satiation * self.recent[rows, topic] - c.annoyance * np.log1p(self.ignored[rows, items]))
        return expit(logit).astype(np.float32)

    def click_probability(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """(n, k) chance of a click at each slate position: examination times appeal."""
        return examination(slates.shape[1])[None, :] * self.appeal(users, slates)

    def respond(self, users: np.ndarray, slates: np.ndarray) -> np.ndarray:
        """Clicks (n, k) of active users on their slates; then satiation, interests, annoyance
        and departures move on one round."""
        c = self.config
        clicks = self.rng.random(slates.shape) < self.click_probability(users, slates)
        rows = np.repeat(users, slates.shape[1])
        topic = self.topics[slates].ravel()
        round_clicks = np.zeros((len(users), self.n_topics), np.float32)
        np.add.at(round_clicks, (np.repeat(np.arange(len(users)), slates.shape[1]), topic), clicks.ravel())
        self.recent[users] = c.satiation_decay * self.recent[users] + round_clicks
        share = round_clicks / np.maximum(round_clicks.sum(axis=1, keepdims=True), 1.0)
        noise = self.rng.normal(0.0, c.drift, size=share.shape).astype(np.float32)
        self.interest[users] = c.interest_decay * self.interest[users] + c.reinforcement * share + noise
        np.add.at(self.ignored, (rows, slates.ravel()), ~clicks.ravel())
        clicked_any = clicks.any(axis=1)
        self.dry_rounds[users] = np.where(clicked_any, 0, self.dry_rounds[users] + 1)
        leave = self.rng.random(len(users)) < c.churn + c.boredom * self.dry_rounds[users]
        self.active[users[leave]] = False
        return clicks

    def interest_entropy(self, users: np.ndarray) -> np.ndarray:
        """Entropy (bits) of each user's current interest distribution over topics: lower
        means narrower interests (the filter bubble)."""
        logits = self.base_interest[users] + self.interest[users]
        logits = logits - logits.max(axis=1, keepdims=True)
        probability = np.exp(logits)
        probability /= probability.sum(axis=1, keepdims=True)
        return -(probability * np.log2(np.maximum(probability, 1e-12))).sum(axis=1)
