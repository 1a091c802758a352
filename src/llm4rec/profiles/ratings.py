"""What a user's ratings say they liked: the rule explanations and profiles share.

Where the data has ratings, an item rated below LIKED_SHARE of the scale's top (3 of 5) or below
the user's own mean is not "liked"; unrated items and implicit data (every rating the same) count
as liked.
"""

from __future__ import annotations

import numpy as np

from llm4rec.data.interactions import Interactions

LIKED_SHARE = 0.6  # of the rating scale's top: 3 of 5 stars


def liked_mask(ratings: np.ndarray, scale_top: float) -> np.ndarray:
    """Which history items (their ratings, NaN where unrated) the user liked: rated at least
    LIKED_SHARE * scale_top and at least their own mean rating; unrated ones count as liked, and so
    does everything on a one-value scale (implicit data stored as rating 1)."""
    ratings = np.asarray(ratings, dtype=np.float64)
    rated = np.isfinite(ratings)
    if not rated.any() or scale_top <= 1:
        return np.ones(len(ratings), dtype=bool)
    mean = ratings[rated].mean()
    return ~rated | ((ratings >= LIKED_SHARE * scale_top) & (ratings >= mean - 1e-9))


def history_ratings(interactions: Interactions, user_id: str, history: np.ndarray) -> np.ndarray:
    """The user's rating of each history item in `interactions` (NaN where there is none: a
    visitor, or an item that came with feedback)."""
    ratings = np.full(len(history), np.nan)
    if user_id not in interactions.users:
        return ratings
    mine = interactions.user_index == interactions.users.index(user_id)
    by_item = dict(zip(interactions.item_index[mine].tolist(), interactions.ratings[mine].tolist(), strict=True))
    return np.array([by_item.get(int(item), np.nan) for item in history], dtype=np.float64)


def rating_scale_top(interactions: Interactions) -> float:
    """The highest rating in the data (NaN-free), 0 without ratings."""
    finite = interactions.ratings[np.isfinite(interactions.ratings)]
    return float(finite.max()) if len(finite) else 0.0
