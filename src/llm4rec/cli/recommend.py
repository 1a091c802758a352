"""Recommendation tables with titles, for a user id, an ad-hoc item list, or sample users."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.table import Table

from llm4rec.cli.console import console
from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.data.splits import Split
from llm4rec.evaluation.protocol import ModelResult
from llm4rec.models.base import Recommender, top_k


def _titles(catalog: ItemCatalog | None, ids: np.ndarray) -> list[str]:
    return catalog.titles(ids) if catalog is not None else [str(i) for i in ids]


def recommend_table(model: Recommender, interactions: Interactions, catalog: ItemCatalog | None,
                    user: str | None, items: str | None, k: int) -> Table:
    """Top-k for one known user (their whole history) or for an anonymous list of item ids."""
    if user is not None:
        u = interactions.users.index(user, "user")
        history = interactions.histories()[u]
        users = np.array([u])
        title = f"top {k} for user {user} ({len(history)} items in history)"
    else:
        ids = [i.strip() for i in items.split(",") if i.strip()]
        history = np.array([interactions.items.index(i, "item") for i in ids])
        users = None
        title = f"top {k} for a visitor who liked {', '.join(_titles(catalog, np.array(ids)))}"
    top, scores = model.recommend([history], k=k, users=users)
    return _ranked_table(title, interactions.items.ids[top[0]], scores[0], catalog)


def _ranked_table(title: str, ids: np.ndarray, scores: np.ndarray, catalog: ItemCatalog | None) -> Table:
    """Rank, id, title and score of each recommended item, best first."""
    table = Table(title=title)
    for column in ("rank", "item", "title", "score"):
        table.add_column(column)
    for rank, (item, name, score) in enumerate(zip(ids, _titles(catalog, ids), scores, strict=True), 1):
        table.add_row(str(rank), str(item), name, f"{score:.3f}")
    return table


def sample_recommendations(result: ModelResult, catalog: ItemCatalog | None, n_users: int = 3,
                           k: int = 10) -> None:
    """Print a model's test-time top-k for a few users, marking the held-out item."""
    cases = result.test_evaluation.cases
    item_ids = cases.history_part.items.ids
    rng = np.random.default_rng(0)
    console.print(f"\n[bold]Sample top-{k} from {result.name}[/] (the users' test items were hidden)")
    for row in sorted(rng.choice(len(cases), size=min(n_users, len(cases)), replace=False)):
        recent = _titles(catalog, item_ids[cases.histories[row][-3:]])
        console.print(f"\n[bold]user {cases.history_part.users.ids[cases.users[row]]}[/] recently: "
                      + "; ".join(recent))
        top = result.test_evaluation.top_items[row, :k]
        for rank, (item, name) in enumerate(zip(top, _titles(catalog, item_ids[top]), strict=True), 1):
            mark = "  [green]<- the held-out test item[/]" if item in cases.targets[row] else ""
            console.print(f"  {rank:2d}. {name}{mark}")


def query_table(query: str, model: Recommender | None, interactions: Interactions, catalog: ItemCatalog | None,
                user: str | None, query_weight: float, k: int) -> Table:
    """Top-k for a natural-language query, blended with the user's model scores and profile."""
    from llm4rec.models.item_features import text_vectors
    from llm4rec.profiles.vectors import profile_vectors
    from llm4rec.ranking.query import query_scores
    from llm4rec.text.encoder import TextEncoder

    item_vectors = text_vectors(catalog, interactions.items, None, None, "query")
    query_vector = TextEncoder().encode([query])[0]
    model_scores = profile = None
    history = np.zeros(0, dtype=np.int64)
    if user is not None:
        u = interactions.users.index(user, "user")
        history = interactions.histories()[u]
        model_scores = model.score([history], users=np.array([u]))[0]
        profile = profile_vectors([history], item_vectors)[0]
    scores = query_scores(query_vector, item_vectors, model_scores, profile, query_weight)
    scores[history] = -np.inf
    top, top_scores = top_k(scores[None, :], k)
    who = f"user {user}" if user is not None else "an anonymous visitor"
    return _ranked_table(f"top {k} for {who} asking {query!r}", interactions.items.ids[top[0]], top_scores[0], catalog)


def user_profile(split: Split, user: str, user_texts: pd.DataFrame | None) -> dict:
    """The readable profile from train only; own texts only from before the user's first
    valid/test event."""
    from llm4rec.profiles.summary import readable_profile, texts_before
    from llm4rec.text.templates import ItemTextTemplate

    u = split.train.users.index(user, "user")
    history = split.train.histories()[u]
    later = np.concatenate([part.timestamps[part.user_index == u] for part in (split.valid, split.test)])
    cutoff = float(later.min()) if len(later) else float("inf")
    item_texts = ItemTextTemplate().render(split.catalog, split.train.items) if split.catalog is not None else None
    summary = readable_profile(history, split.train.items, split.catalog, item_texts=item_texts,
                               own_texts=texts_before(user_texts, user, cutoff))
    return {"user_id": user, "split_point": cutoff} | summary


def text_gain(results: list[ModelResult]) -> str | None:
    """A line on how far the best text-aware model is above the best ID-only one on test."""
    from llm4rec.evaluation.intervals import paired_difference_ci
    from llm4rec.models.registry import MODELS

    text = [r for r in results if MODELS[r.name].reads_text]
    ids = [r for r in results if not MODELS[r.name].reads_text]
    if not text or not ids:
        return None
    best_text = max(text, key=lambda r: r.test["NDCG@10"])
    best_ids = max(ids, key=lambda r: r.test["NDCG@10"])
    difference = paired_difference_ci(best_text.test_evaluation.per_case["NDCG@10"],
                                      best_ids.test_evaluation.per_case["NDCG@10"])
    ratio = best_text.test["NDCG@10"] / max(best_ids.test["NDCG@10"], 1e-12)
    return (f"[bold]best text-aware model {best_text.name}[/]: NDCG@10 {best_text.test['NDCG@10']:.4f}, "
            f"HR@10 {best_text.test['HR@10']:.4f} vs best classic {best_ids.name} "
            f"{best_ids.test['NDCG@10']:.4f} / {best_ids.test['HR@10']:.4f}: {ratio:.2f}x NDCG@10 "
            f"(paired 95 % CI of the difference [{difference['low']:+.4f}, {difference['high']:+.4f}])")
