"""What the quickstart prints beyond the results table: sample recommendations and the gains of
the published model over EASE and SASRec."""

from __future__ import annotations

import numpy as np

from llm4rec.cli.console import console
from llm4rec.data.catalog import ItemCatalog
from llm4rec.evaluation.protocol import ModelResult, best_on_valid


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


def gains(results: list[ModelResult], references: tuple[str, ...] = ("ease", "sasrec")) -> list[str]:
    """Lines on how far the model with the best valid NDCG@10 (the one published) is above each
    reference model of the run on test, with the paired 95 % interval of the difference."""
    from llm4rec.evaluation.intervals import paired_difference_ci

    best = best_on_valid(results)
    lines = []
    for reference in (r for name in references for r in results if r.name == name and r is not best):
        difference = paired_difference_ci(best.test_evaluation.per_case["NDCG@10"],
                                          reference.test_evaluation.per_case["NDCG@10"])
        ratio = best.test["NDCG@10"] / max(reference.test["NDCG@10"], 1e-12)
        lines.append(f"[bold]{best.name}[/] (best on valid) test NDCG@10 {best.test['NDCG@10']:.4f} vs "
                     f"{reference.name} {reference.test['NDCG@10']:.4f}: {ratio:.2f}x (paired 95 % interval of the "
                     f"difference [{difference['low']:+.4f}, {difference['high']:+.4f}])")
    return lines
