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


WORD_LIST = """
    red blue green black white silver gold dark light small large classic modern vintage smart
    soft hard quick slow quiet loud warm cold fresh wild urban rural royal simple deluxe
    compact portable wireless digital organic natural premium basic heavy thin golden steel
    wooden leather cotton glass paper plastic stone crystal velvet wool silk copper bamboo
    night morning summer winter spring autumn ocean river mountain forest desert island city
    garden kitchen office studio road station harbor valley field lake storm thunder rain
    snow sun moon star planet galaxy rocket robot dragon tiger wolf eagle falcon horse lion
    bear fox owl whale shark knight king queen prince pirate ninja wizard hunter ranger
    soldier doctor teacher farmer chef artist singer dancer writer detective spy angel ghost
    love war peace dream secret mystery legend story journey quest return escape rescue
    battle game party festival wedding holiday adventure memory promise shadow mirror
    lamp chair table desk sofa bed shelf clock mug bottle bag wallet watch phone camera
    speaker keyboard mouse cable charger lens tripod pen pencil marker notebook folder
    stapler tape glue scissors ruler binder envelope stamp printer ink toner canvas board
    jacket shirt dress shoe boot hat scarf glove sock belt ring necklace bracelet
    coffee tea juice bread cheese chocolate honey pepper salt rice pasta soup salad cake
    guitar piano drum violin flute trumpet song album concert radio movie series episode
    """
WORDS = np.array(WORD_LIST.split())
ITEM_BLOCK = 4096  # items drawn per seeded block, so an item's title does not depend on n_items


def synthetic_catalog(n_items: int, seed: int = 0, topic_size: int = 100) -> pd.DataFrame:
    """Item titles for `synthetic_log`'s ids: items within `topic_size` ids share a topic, as
    sessions of the log stay near one id, so text and behaviour agree (roughly, as in a shop).

    A title is two of its topic's three words and one word of its own, from WORDS; item i's
    title does not depend on n_items. Columns item_id, title.
    """
    vocabulary, words = len(WORDS), WORDS.astype(object)
    items = np.arange(n_items)
    topic_words = np.random.default_rng([seed, 1]).integers(0, vocabulary, size=(n_items // topic_size + 1, 3))
    blocks = [np.random.default_rng([seed, 2, block]) for block in range(-(-n_items // ITEM_BLOCK))]
    draws = [(rng.random((ITEM_BLOCK, 3)), rng.integers(0, vocabulary, ITEM_BLOCK)) for rng in blocks]
    picked = np.argsort(np.concatenate([d[0] for d in draws])[:n_items], axis=1)[:, :2]  # 2 of 3 topic words
    own = np.concatenate([d[1] for d in draws])[:n_items]
    topics = topic_words[items // topic_size]
    first, second = np.take_along_axis(topics, picked, axis=1).T
    titles = words[first] + " " + words[second] + " " + words[own]
    return pd.DataFrame({"item_id": items, "title": titles})
