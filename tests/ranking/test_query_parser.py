"""Queries with structure: refusals, ranges and "similar to" become checked constraints
(issue: language people can trust)."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.profiles.summary import item_years
from llm4rec.ranking.query_parser import allowed, parse_query


@pytest.mark.parametrize(("query", "expected"), [
    ("a romantic comedy, but nothing animated and nothing for children",
     {"include": ["Comedy", "Romance"], "exclude": ["Animation", "Children's"], "text": "a romantic comedy"}),
    ("an adventure without sci-fi or fantasy", {"include": ["Adventure"], "exclude": ["Sci-Fi", "Fantasy"]}),
    ("a war film without drama", {"include": ["War"], "exclude": ["Drama"]}),
    ("a drama released after 1995", {"year_min": 1996}),
    ("a comedy from before 1970", {"year_max": 1969}),
    ("similar to Pulp Fiction, nothing before 1990", {"year_min": 1990, "similar_to": ["56"]}),
    ("a western from the 1950s", {"year_min": 1950, "year_max": 1959}),
    ("90年代的爱情片，不要动画",
     {"include": ["Romance"], "exclude": ["Animation"], "year_min": 1990, "year_max": 1999}),
    ("1980年以后的科幻片", {"include": ["Sci-Fi"], "year_min": 1980}),
    ("像《Toy Story》一样的电影", {"similar_to": ["1"]}),
    ("a funny space adventure", {"include": ["Adventure", "Comedy", "Sci-Fi"]}),
])
def test_queries_are_understood(ml100k_loo, query, expected):
    understood = parse_query(query, ml100k_loo.catalog, ml100k_loo.train.items).as_json()
    for key, value in expected.items():
        assert (sorted(understood.get(key, [])) == sorted(value)) if isinstance(value, list) \
            else understood.get(key) == value, (key, understood)


def test_hard_constraints_filter_the_catalogue(ml100k_loo):
    items, catalog = ml100k_loo.train.items, ml100k_loo.catalog
    constraints = parse_query("a comedy, no animation, after 1990", catalog, items)
    keep = allowed(constraints, catalog, items)
    rows = catalog.aligned(items)
    assert not rows["genres"][keep].str.contains("Animation").any()
    assert (item_years(rows)[keep] > 1990).all() and keep.sum() > 50


def test_the_query_path_returns_what_it_understood_and_honours_it(ml100k_loo, tmp_path):
    from fastapi.testclient import TestClient

    from llm4rec.models.ease import EASE
    from llm4rec.serving.app import create_app
    from llm4rec.serving.bundle import save_bundle
    from llm4rec.serving.security import ApiKeys
    from llm4rec.serving.settings import ServiceSettings

    root = tmp_path / "bundles"
    save_bundle(EASE(l2=150.0).fit(ml100k_loo.train), ml100k_loo.train, ml100k_loo.catalog, root)
    settings = ServiceSettings(bundle_path=root, feedback_db=tmp_path / "f.sqlite", api_keys=ApiKeys.from_sources("k"))
    with TestClient(create_app(settings), headers={"X-API-Key": "k"}) as client:
        answer = client.post("/recommend", json={
            "query": "a romantic comedy, but nothing animated and nothing for children", "k": 10}).json()
    assert answer["constraints"]["exclude"] == ["Animation", "Children's"]
    genres = ml100k_loo.catalog.frame["genres"].reindex([i["item_id"] for i in answer["items"]]).astype(str)
    assert not genres.str.contains("Animation|Children", regex=True).any()  # was First Kid, Toy Story, …
    assert np.mean(genres.str.contains("Romance|Comedy", regex=True)) >= 0.8
