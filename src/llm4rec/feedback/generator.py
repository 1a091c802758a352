"""A seeded generator of realistic multi-event logs, driven by preferences learned from data.

How it works:
- True preferences come in as `utility[u, i]`: how much u likes i in standard deviations of
  their own taste (benchmarks/feedback_recovery.py takes the scores of EASE fitted on
  MovieLens-100k, standardised per user).
- Sessions: each user has a few sessions; each shows a slate of items drawn from a mix of
  popular items and items the user would like (as a recommender would), in random order.
- Funnel: the item at position p is seen with probability 1 / (1 + p) ** 0.7 (position bias);
  a seen item is clicked with probability sigmoid(utility - 1.5); a click's dwell time is
  log-normal with a median that grows with utility; a click goes to the cart with
  probability sigmoid(utility - 3) and a cart is bought with probability 0.5.
- Every step is an event (view, click, add_to_cart, purchase) with the session id, a
  timestamp and, for clicks, the dwell time: the event-log schema the loaders read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SLATE = 10
POSITION_DECAY = 0.7


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class GeneratedLog:
    events: pd.DataFrame  # user_id, item_id, timestamp, event_type, dwell_time, session_id
    utility: np.ndarray  # (n_users, n_items) true preference, standardised per user
    users: np.ndarray  # outside user ids, aligned with utility rows
    items: np.ndarray  # outside item ids, aligned with utility columns


def generate(utility: np.ndarray, users: np.ndarray, items: np.ndarray, sessions: int = 5, seed: int = 0,
             start: float = 1.7e9) -> GeneratedLog:
    """Simulate `sessions` sessions per user of slates, views, clicks, dwell, carts and purchases."""
    rng = np.random.default_rng(seed)
    n_users, n_items = utility.shape
    popularity = np.exp(utility).mean(axis=0)
    popularity /= popularity.sum()
    seen_probability = 1.0 / (1.0 + np.arange(SLATE)) ** POSITION_DECAY
    rows = []
    for user in range(n_users):
        liked = np.argsort(-utility[user])[: 5 * SLATE]
        for session in range(sessions):
            clock = start + rng.uniform(0, 90 * 86_400)
            half = SLATE // 2
            slate = np.unique(np.concatenate([rng.choice(n_items, half, replace=False, p=popularity),
                                              rng.choice(liked, half, replace=False)]))
            rng.shuffle(slate)
            for position, item in enumerate(slate):
                if rng.random() >= seen_probability[position]:
                    continue
                value = utility[user, item]
                clock += rng.exponential(5.0)
                rows.append((user, item, clock, "view", np.nan, session))
                if rng.random() >= _sigmoid(value - 1.5):
                    continue
                dwell = float(rng.lognormal(np.log(20.0) + 0.6 * value, 0.5))
                clock += rng.exponential(3.0)
                rows.append((user, item, clock, "click", dwell, session))
                clock += dwell
                if rng.random() < _sigmoid(value - 3.0):
                    rows.append((user, item, clock, "add_to_cart", np.nan, session))
                    if rng.random() < 0.5:
                        clock += rng.exponential(30.0)
                        rows.append((user, item, clock, "purchase", np.nan, session))
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp", "event_type", "dwell_time", "session"])
    events = pd.DataFrame({"user_id": users[frame["user"]], "item_id": items[frame["item"]],
                           "timestamp": frame["timestamp"].astype(np.int64), "event_type": frame["event_type"],
                           "dwell_time": frame["dwell_time"],
                           "session_id": [f"{u}-{s}" for u, s in zip(frame["user"], frame["session"], strict=True)]})
    return GeneratedLog(events, utility, np.asarray(users), np.asarray(items))
