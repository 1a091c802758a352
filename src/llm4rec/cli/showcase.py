"""What the quickstart prints beyond the results table: sample recommendations and the text gain."""

from __future__ import annotations

import numpy as np

from llm4rec.cli.console import console
from llm4rec.data.catalog import ItemCatalog
from llm4rec.evaluation.protocol import ModelResult


def _titles(catalog: ItemCatalog | None, ids: np.ndarray) -> list[str]:
    return catalog.titles(ids) if catalog is not None else [str(i) for i in ids]


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
