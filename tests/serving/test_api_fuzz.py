"""Schemathesis against the OpenAPI spec: generated requests, bounded, never a server error."""

from __future__ import annotations

import itertools

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from llm4rec.serving.app import create_app

EXAMPLES_PER_OPERATION = 25  # per operation and generation mode


def test_generated_requests_never_get_a_server_error(settings, auth):
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation, mode in itertools.product(operations, GenerationMode):  # valid and invalid inputs
        @given(case=operation.as_strategy(mode))
        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck))
        def no_server_error(case) -> None:
            case.call_and_validate(headers=auth, checks=[not_a_server_error])

        try:
            no_server_error()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no invalid ones
