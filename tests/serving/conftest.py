"""A served EASE model on the ml-100k split's training part, in a temporary bundle root."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from llm4rec.models.ease import EASE
from llm4rec.serving.app import create_app
from llm4rec.serving.bundle import save_bundle
from llm4rec.serving.security import ApiKeys
from llm4rec.serving.settings import ServiceSettings

API_KEY = "test-key"  # every scope, as a plain key always had
READ_KEY = "reader-key"  # the read scope only


@pytest.fixture(scope="session")
def fitted_ease(ml100k_loo):
    return EASE(l2=150.0).fit(ml100k_loo.train)


@pytest.fixture
def bundle_root(tmp_path, fitted_ease, ml100k_loo):
    save_bundle(fitted_ease, ml100k_loo.train, ml100k_loo.catalog, tmp_path / "bundles", dataset="ml-100k-loo")
    return tmp_path / "bundles"


@pytest.fixture
def settings(tmp_path, bundle_root):
    return ServiceSettings(bundle_path=bundle_root, feedback_db=tmp_path / "feedback.sqlite",
                           api_keys=ApiKeys.from_sources(f"{API_KEY},{READ_KEY}:read"),
                           rate_per_second=1000, burst=1000)


@pytest.fixture
def client(settings):
    """A client that reads with a read-only key (writes pass `auth`)."""
    with TestClient(create_app(settings), headers={"X-API-Key": READ_KEY}) as test_client:
        yield test_client


@pytest.fixture
def anonymous(settings):
    """A client without a key."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def auth():
    return {"X-API-Key": API_KEY}

