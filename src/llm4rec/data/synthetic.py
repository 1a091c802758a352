"""A seeded synthetic event log for scale tests: power-law item popularity and user activity,
events grouped into sessions whose items cluster around one item, typed events with dwell."""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENT_TYPES = np.array(["view", "click", "cart", "purchase"])
EVENT_SHARES = np.array([0.70, 0.20, 0.07, 0.03])
SPAN_SECONDS = 90 * 24 * 3600  # the log covers 90 days


def power_law_weights(n: int, exponent: float, offset: float = 1.0) -> np.ndarray:
    """Probabilities ∝ 1 / (rank + offset) ** exponent over n ranks."""
    weights = 1.0 / (np.arange(n) + offset) ** exponent
    return weights / weights.sum()


def synthetic_log(n_events: int, n_users: int, n_items: int, seed: int = 0, item_exponent: float = 1.0,
                  user_exponent: float = 0.5, mean_session_length: float = 5.0,
                  neighbourhood: int = 50) -> pd.DataFrame:
    """`n_events` rows of user_id, item_id, timestamp, event_type, dwell_time (views only).

    Each session belongs to one user (drawn by power-law activity) and starts at an item drawn
    by power-law popularity; each later event of the session stays within `neighbourhood`
    ids of that item half of the time (items that go together) and is a fresh popular draw
    otherwise. Events of a session are seconds to minutes apart. Ids are 0-based integers.
    """
    rng = np.random.default_rng(seed)
    lengths = rng.geometric(1.0 / mean_session_length, size=int(n_events / mean_session_length * 1.5) + 10)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), n_events) + 1]
    lengths[-1] -= lengths.sum() - n_events
    session = np.repeat(np.arange(len(lengths)), lengths)
    first = np.r_[0, np.cumsum(lengths)[:-1]]
    popularity = rng.permutation(n_items)  # which item id holds each popularity rank
    anchor = popularity[rng.choice(n_items, size=len(lengths), p=power_law_weights(n_items, item_exponent))]
    fresh = popularity[rng.choice(n_items, size=n_events, p=power_law_weights(n_items, item_exponent))]
    near = (anchor[session] + rng.integers(-neighbourhood, neighbourhood + 1, n_events)) % n_items
    items = np.where(rng.random(n_events) < 0.5, near, fresh)
    items[first] = anchor
    activity = rng.permutation(n_users)
    users = activity[rng.choice(n_users, size=len(lengths), p=power_law_weights(n_users, user_exponent))]
    gaps = rng.exponential(60.0, n_events).astype(np.int64)
    gaps[first] = 0
    starts = rng.integers(1_700_000_000, 1_700_000_000 + SPAN_SECONDS, len(lengths))
    offsets = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], lengths)
    events = EVENT_TYPES[rng.choice(len(EVENT_TYPES), size=n_events, p=EVENT_SHARES)]
    dwell = np.where(events == "view", np.round(rng.lognormal(3.0, 1.0, n_events), 1), np.nan)
    return pd.DataFrame({"user_id": users[session], "item_id": items, "timestamp": starts[session] + offsets,
                         "event_type": events, "dwell_time": dwell})
