"""Schemathesis against the OpenAPI spec with every check: generated requests, bounded, against a
temporary bundle root only (DELETE /users erases there, never in a real deployment)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from llm4rec.serving.app import create_app

EXAMPLES_PER_OPERATION = 25  # per operation and generation mode


def test_generated_requests_pass_every_check(settings, auth, bundle_root, tmp_path):
    assert bundle_root.is_relative_to(tmp_path) and settings.feedback_db.is_relative_to(tmp_path)
    # The 1 MB body limit answers 413 before validation, which the negative-data check does not
    # expect; a generated batch of items can pass it by chance. The limit has its own tests
    # (test_hardening), so here it is out of the way.
    app = create_app(replace(settings, max_body_bytes=100_000_000))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)

    @schema.auth()
    class ApiKey:  # schemathesis applies the key itself, so its negative cases know the header is set
        def get(self, case, context) -> str:
            return auth["X-API-Key"]

        def set(self, case, data, context) -> None:
            case.headers = {**(case.headers or {}), "X-API-Key": data}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation, mode in itertools.product(operations, GenerationMode):  # valid and invalid inputs
        @given(case=operation.as_strategy(mode))
        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck))
        def conforms(case) -> None:
            case.call_and_validate()  # every check: statuses, schemas, content types, data handling

        try:
            conforms()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no invalid ones
    answered = app.metrics.exposition().decode()
    assert 'route="/items",status="200"' in answered  # the key was applied: reads and writes went through
    assert 'route="/feedback",status="200"' in answered
