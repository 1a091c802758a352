"""One self-contained HTML report: metrics with intervals, slices, interests, an embedding
map and per-user cards with explanations. Plots are matplotlib PNGs embedded as data URIs,
so the file works offline and needs no JavaScript."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from llm4rec.data.catalog import ItemCatalog  # noqa: E402
from llm4rec.data.interactions import Interactions  # noqa: E402
from llm4rec.explain.sentences import explain_recommendations  # noqa: E402
from llm4rec.models.base import Recommender  # noqa: E402
from llm4rec.profiles.summary import describe, readable_profile  # noqa: E402

METRICS = ("HR@10", "NDCG@10", "MRR@10")
STYLE = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}img{max-width:100%}.card{border:1px solid #ccc;border-radius:8px;
padding:.8rem 1rem;margin:1rem 0}.why{color:#555;font-size:.9rem}.muted{color:#777}"""


def png_tag(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return f'<img alt="chart" class="chart" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def metric_bars(results: dict[str, Any], details: dict[str, Any]) -> str:
    """One bar chart per metric across models, with 95 % bootstrap intervals."""
    models = list(results)
    figure, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 3.2))
    for axis, metric in zip(axes, METRICS, strict=True):
        values = np.array([results[m]["test"][metric] for m in models])
        bounds = np.array([details.get(m, {}).get("ci95", {}).get(metric, [v, v]) for m, v in zip(models, values,
                                                                                                   strict=True)])
        errors = np.abs(np.stack([values - bounds[:, 0], bounds[:, 1] - values]))
        axis.bar(models, values, yerr=errors, capsize=3, color="#4c72b0")
        axis.set_title(f"test {metric}")
        axis.tick_params(axis="x", rotation=45)
    return png_tag(figure)


def slice_bars(details: dict[str, Any], slice_name: str, metric: str = "NDCG@10") -> str:
    """Grouped bars of `metric` per model within each slice (popularity or history length)."""
    models = [m for m in details if "slices" in details[m]]
    groups = list(details[models[0]]["slices"][slice_name]) if models else []
    figure, axis = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(len(models), 1)
    for offset, model in enumerate(models):
        values = [details[model]["slices"][slice_name].get(g, {}).get(metric, 0.0) for g in groups]
        axis.bar(np.arange(len(groups)) + offset * width, values, width, label=model)
    axis.set_xticks(np.arange(len(groups)) + 0.4 - width / 2, groups)
    axis.set_title(f"test {metric} by {slice_name.replace('_', ' ')}")
    axis.legend(fontsize=8, ncol=4)
    return png_tag(figure)


def category_column(catalog: ItemCatalog | None) -> str | None:
    """The catalogue's multi-valued category column (genres, categories), if any."""
    if catalog is None:
        return None
    for column in catalog.text_columns:
        if catalog.frame[column].astype(str).str.contains("|", regex=False).any():
            return column
    return None


def interest_heatmap(histories: list[np.ndarray], user_ids: list[str], interactions: Interactions,
                     catalog: ItemCatalog, column: str) -> str:
    """Share of each category in each sampled user's history."""
    values = catalog.aligned(interactions.items)[column].fillna("").astype(str).str.split("|")
    categories = sorted({v for row in values for v in row if v})
    position = {c: i for i, c in enumerate(categories)}
    shares = np.zeros((len(histories), len(categories)))
    for row, history in enumerate(histories):
        for item in history:
            for value in values.iloc[item]:
                if value:
                    shares[row, position[value]] += 1
        shares[row] /= max(shares[row].sum(), 1)
    figure, axis = plt.subplots(figsize=(max(6, 0.4 * len(categories)), 0.35 * len(histories) + 1.5))
    image = axis.imshow(shares, aspect="auto", cmap="viridis")
    axis.set_xticks(range(len(categories)), categories, rotation=60, ha="right", fontsize=8)
    axis.set_yticks(range(len(user_ids)), [f"user {u}" for u in user_ids], fontsize=8)
    figure.colorbar(image, ax=axis, label="share of history")
    axis.set_title(f"{column} in each user's history")
    return png_tag(figure)


def embedding_map(vectors: np.ndarray, labels: list[str]) -> str:
    """Items' text embeddings projected on their first two principal components."""
    centred = vectors - vectors.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    points = centred @ directions[:2].T
    figure, axis = plt.subplots(figsize=(7, 5))
    labels_array = np.asarray(labels)
    names, counts = np.unique(labels_array, return_counts=True)
    for label in names[np.argsort(-counts)][:10]:  # the ten commonest categories
        mask = labels_array == label
        axis.scatter(points[mask, 0], points[mask, 1], s=6, label=label, alpha=0.7)
    axis.legend(fontsize=7, markerscale=2)
    axis.set_title("item text embeddings (PCA), coloured by first category")
    return png_tag(figure)


def user_card(model: Recommender, interactions: Interactions, catalog: ItemCatalog | None, user_id: str,
              history: np.ndarray, k: int = 5, language: str = "en") -> str:
    """A user's readable profile and top-k with explanations, in `language`."""
    profile = describe(readable_profile(history, interactions.items, catalog), language)
    items = model.recommend([history], k)[0][0]
    explained = explain_recommendations(model, interactions, catalog, user_id, history, items, language)
    rows = "".join(f"<li><b>{html.escape(e['title'])}</b> <span class='muted'>({e['score']:.3f})</span>"
                   f"<div class='why'>{html.escape(e['explanation'])}</div></li>" for e in explained["recommendations"])
    heading = f"用户 {html.escape(user_id)}" if language == "zh" else f"user {html.escape(user_id)}"
    return (f"<div class='card'><h3>{heading}</h3><p>{html.escape(profile)}</p>"
            f"<ol>{rows}</ol></div>")


def metrics_table(results: dict[str, Any]) -> str:
    header = "".join(f"<th>{m}</th>" for m in (*METRICS, "HR@20", "NDCG@20"))
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{r['test'].get(m, float('nan')):.4f}</td>"
                                                      for m in (*METRICS, "HR@20", "NDCG@20")) + "</tr>"
        for name, r in results.items())
    return f"<table><tr><th>model</th>{header}</tr>{rows}</table>"


def write_report(results_path: Path, model: Recommender, interactions: Interactions, catalog: ItemCatalog | None,
                 out: Path, n_users: int = 6, seed: int = 0, language: str = "en") -> Path:
    """The report for an `evaluate` results JSON (details beside it) and a served model; the
    user cards (profiles, explanations) in `language`, which the page's `lang` names."""
    results = json.loads(results_path.read_text())
    details_path = results_path.with_suffix(".details.json")
    details = json.loads(details_path.read_text()) if details_path.exists() else {}
    histories = interactions.histories()
    active = [u for u, h in enumerate(histories) if len(h)]
    users = sorted(np.random.default_rng(seed).choice(active, size=min(n_users, len(active)), replace=False))
    user_ids = [str(interactions.users.ids[u]) for u in users]
    sections = [f"<h1>llm4rec report</h1><p class='muted'>results: {html.escape(str(results_path))}; "
                f"model for the user cards: {html.escape(model.name)}</p>",
                "<h2>Test metrics</h2>", metrics_table(results), metric_bars(results, details)]
    if details:
        sections += ["<h2>By item popularity and history length</h2>",
                     slice_bars(details, "target_popularity"), slice_bars(details, "history_length")]
    column = category_column(catalog)
    if column is not None:
        sections += ["<h2>Interests</h2>", interest_heatmap([histories[u] for u in users], user_ids, interactions,
                                                             catalog, column)]
        from llm4rec.models.item_features import text_vectors

        labels = catalog.aligned(interactions.items)[column].fillna("").astype(str).str.split("|").str[0].tolist()
        vectors = text_vectors(catalog, interactions.items, None, None, "report")
        sections += ["<h2>Item map</h2>", embedding_map(vectors, labels)]
    sections += ["<h2>Users</h2>"] + [user_card(model, interactions, catalog, uid, histories[u], language=language)
                                       for u, uid in zip(users, user_ids, strict=True)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><title>llm4rec report</title>"
                   f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>")
    return out
