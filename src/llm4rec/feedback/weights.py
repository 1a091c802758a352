"""Implicit feedback mining: raw events -> one confidence weight per (user, item).

Each event counts by its type (a purchase says more than a view), by how long it held the
user relative to that item's usual dwell (saturating, so an idle tab cannot dominate), and
by its explicit value when it has one (a rating). Repeats add up on a log scale, and older
interactions can fade with a half-life. Exact duplicate events are dropped and absurd dwell
times capped; both are counted, and users with inhuman event rates are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from llm4rec.data.interactions import Interactions
from llm4rec.data.load import load_dataset
from llm4rec.data.report import LoadReport
from llm4rec.data.splits import SPLITTERS, Split
from llm4rec.errors import ConfigError

DAY = 86_400.0


class FeedbackConfig(BaseModel):
    """How events become weights; saved with whatever is trained on them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    event_weights: dict[str, float] = Field(default_factory=lambda: {
        "view": 1.0, "click": 2.0, "search": 0.5, "add_to_cart": 4.0, "purchase": 8.0, "rating": 1.0})
    unknown_event_weight: float = Field(1.0, ge=0, description="weight of event types not listed")
    dwell_saturation: float = Field(3.0, gt=0, description="dwell counts up to this many item medians")
    dwell_cap_seconds: float = Field(3600.0, gt=0, description="longer dwell times are capped (idle tabs)")
    rating_max: float | None = Field(None, gt=0, description="top of the rating scale; None: the data's maximum")
    repeats: str = Field("log", pattern="^(log|sum|once)$", description="how repeated events add up")
    half_life_days: float | None = Field(None, gt=0, description="recency decay; None: no decay")
    bot_events_per_minute: float = Field(30.0, gt=0, description="a sustained rate above this flags a user")


@dataclass
class MiningReport:
    """What mining dropped, capped or flagged (for `llm4rec inspect`)."""

    events: int
    duplicates_dropped: int
    dwell_capped: int
    users_flagged_inhuman_rate: list[str]

    def lines(self) -> list[str]:
        return [f"{self.events:,} events; {self.duplicates_dropped:,} exact duplicates dropped; "
                f"{self.dwell_capped:,} dwell times capped; {len(self.users_flagged_inhuman_rate):,} users flagged "
                "for an inhuman event rate"]


def _event_frame(interactions: Interactions, events: pd.DataFrame | None) -> pd.DataFrame:
    frame = pd.DataFrame({"user": interactions.user_index, "item": interactions.item_index,
                          "timestamp": interactions.timestamps, "rating": interactions.ratings})
    if events is not None:
        for column in ("event_type", "dwell_time"):
            if column in events:
                frame[column] = events[column].to_numpy()
    if "event_type" not in frame:
        frame["event_type"] = np.where(np.isnan(frame["rating"]), "click", "rating")
    frame["dwell_time"] = pd.to_numeric(frame["dwell_time"], errors="coerce") if "dwell_time" in frame else np.nan
    return frame


def inhuman_rate(events: Any, first: Any, last: Any, rate: float) -> Any:
    """Whether `events` between timestamps `first` and `last` exceed `rate` a minute over the
    active span (at least a minute): the rule mining flags users by, and the service holds live
    streams by (scalars or arrays)."""
    minutes = np.maximum((last - first) / 60.0, 1.0)
    return (events / minutes > rate) & (events > rate)


def _inhuman_users(frame: pd.DataFrame, interactions: Interactions, rate: float) -> list[str]:
    """Users whose events exceed `rate` a minute (`inhuman_rate`)."""
    span = frame.groupby("user")["timestamp"].agg(["min", "max", "size"])
    flagged = span.index[inhuman_rate(span["size"], span["min"], span["max"], rate)]
    return interactions.users.ids[flagged.to_numpy()].tolist()


def mine_weights(interactions: Interactions, events: pd.DataFrame | None = None,
                 config: FeedbackConfig | None = None) -> tuple[Interactions, MiningReport]:
    """One row per (user, item): its last timestamp, best rating and mined weight."""
    config = config or FeedbackConfig()
    frame = _event_frame(interactions, events)
    n_events = len(frame)
    duplicated = frame.duplicated(["user", "item", "timestamp", "event_type", "dwell_time", "rating"])
    frame = frame[~duplicated].copy()
    capped = frame["dwell_time"] > config.dwell_cap_seconds
    frame.loc[capped, "dwell_time"] = config.dwell_cap_seconds
    base = frame["event_type"].map(config.event_weights).fillna(config.unknown_event_weight)
    weight = base.to_numpy(float, copy=True)
    median = frame.groupby("item")["dwell_time"].transform("median").to_numpy(float)
    relative = np.minimum(frame["dwell_time"].to_numpy(float) / np.maximum(median, 1e-9), config.dwell_saturation)
    weight *= 1.0 + np.nan_to_num(relative / config.dwell_saturation)  # x1 (no dwell) .. x2 (long dwell)
    ratings = frame["rating"].to_numpy(float)
    top = config.rating_max or (np.nanmax(ratings) if (~np.isnan(ratings)).any() else 1.0)
    weight *= np.where(np.isnan(ratings), 1.0, np.clip(ratings / top, 0.0, 1.0))
    frame = frame.assign(weight=weight)
    pairs = frame.groupby(["user", "item"], sort=False).agg(
        total=("weight", "sum"), strongest=("weight", "max"), timestamp=("timestamp", "max"), rating=("rating", "max"))
    # log: repeats add with diminishing returns; sum: linearly; once: only the strongest event counts
    pairs["weight"] = {"log": np.log1p(pairs["total"]), "sum": pairs["total"], "once": pairs["strongest"]}[
        config.repeats]
    if config.half_life_days is not None:
        age_days = (frame["timestamp"].max() - pairs["timestamp"]) / DAY
        pairs["weight"] *= 0.5 ** (age_days / config.half_life_days)
    users, items = (pairs.index.get_level_values(level).to_numpy() for level in ("user", "item"))
    mined = Interactions(interactions.users, interactions.items, users.astype(np.int32), items.astype(np.int32),
                         pairs["timestamp"].to_numpy(np.int64), pairs["rating"].to_numpy(np.float32),
                         pairs["weight"].to_numpy(np.float32))
    report = MiningReport(n_events, int(duplicated.sum()), int(capped.sum()),
                          _inhuman_users(frame, interactions, config.bot_events_per_minute))
    return mined, report


def load_mined_split(source: str, config: FeedbackConfig, protocol: str = "loo", skip_bad_rows: bool = False,
                     catalog: str | None = None) -> tuple[Split, LoadReport, MiningReport]:
    """Load raw data (an event log, or ratings as the signal), mine one weighted row per
    (user, item), then split by `protocol`: what `--mine-feedback` trains and evaluates on."""
    if Path(source).is_dir() and (Path(source) / "train.tsv").exists():
        raise ConfigError(f"{source} is a split directory, already reduced to interactions; feedback mining "
                          "reads raw events: pass the raw event log (--data events.csv --catalog items.csv).")
    if protocol not in SPLITTERS:
        raise ConfigError(f"Unknown split protocol {protocol!r}; choose one of {sorted(SPLITTERS)}")
    dataset = load_dataset(source, catalog, skip_bad_rows)
    mined, mining = mine_weights(dataset.interactions, dataset.events, config)
    return SPLITTERS[protocol](mined, dataset.catalog, dataset.name), dataset.report, mining


def read_feedback_config(path: Path | None) -> FeedbackConfig:
    """The defaults, or the JSON file at `path` (any subset of FeedbackConfig's fields)."""
    if path is None:
        return FeedbackConfig()
    try:
        return FeedbackConfig.model_validate_json(path.read_text())
    except ValueError as error:
        raise ConfigError(f"{path} is not a valid feedback config ({error}). "
                          f"Allowed fields: {', '.join(FeedbackConfig.model_fields)}") from None
