"""Unsupervised detection of fake (shilling) profiles, and the evaluation of attacks and defence.

Two stages, no labels anywhere:
1. Each user gets a robust outlier score from two rating-profile features: how obscure the
   items they rate are (mean log-popularity; a filler drawn from the whole catalogue is far
   more obscure than what people watch) and RDMA, the rating deviation from item means
   weighted by inverse item popularity (Chirita et al. 2005). Users beyond 3.5 robust
   z-scores (Iglewicz & Hoaglin's outlier rule) are candidates.
2. A push attack shares a purpose: items given the top rating by at least MIN_GROUP
   candidates, where candidates give most of that item's top ratings, are suspected
   targets; candidates who gave a suspected target the top rating are flagged. Without such
   an item nobody is: an outlying taste alone (a fan of obscure films) is not an attack.
"""

from __future__ import annotations

import numpy as np

from llm4rec.data.interactions import Interactions

OUTLIER_Z = 3.5
MIN_GROUP = 5


def robust_z(values: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD): a z-score that the outliers themselves barely move."""
    median = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - median))
    return (values - median) / (spread or 1e-12)


def profile_features(interactions: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """Per user: mean log(1 + item popularity) and RDMA, from the ratings."""
    users, items, ratings = interactions.user_index, interactions.item_index, interactions.ratings
    counts = interactions.item_counts()
    lengths = np.maximum(np.bincount(users, minlength=interactions.n_users), 1)
    item_mean = np.bincount(items, weights=ratings, minlength=interactions.n_items) / np.maximum(counts, 1)
    popularity = np.bincount(users, weights=np.log1p(counts[items]), minlength=interactions.n_users) / lengths
    deviation = np.abs(ratings - item_mean[items]) / np.maximum(counts[items], 1)
    rdma = np.bincount(users, weights=deviation, minlength=interactions.n_users) / lengths
    return popularity, rdma


def detect_fakes(interactions: Interactions) -> np.ndarray:
    """Boolean mask over users: the suspected fake profiles (needs ratings)."""
    if np.isnan(interactions.ratings).all():
        raise ValueError("Shilling detection reads ratings; these interactions have none")
    popularity, rdma = profile_features(interactions)
    candidates = (robust_z(rdma) - robust_z(popularity)) / 2 > OUTLIER_Z
    top = interactions.ratings >= np.nanmax(interactions.ratings)
    by_candidates = np.bincount(interactions.item_index[candidates[interactions.user_index] & top],
                                minlength=interactions.n_items)
    by_everyone = np.bincount(interactions.item_index[top], minlength=interactions.n_items)
    suspects = np.flatnonzero((by_candidates >= MIN_GROUP) & (by_candidates >= 0.5 * by_everyone))
    pushed = np.zeros(interactions.n_users, dtype=bool)
    pushed[interactions.user_index[np.isin(interactions.item_index, suspects) & top]] = True
    return candidates & pushed
