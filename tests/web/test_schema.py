"""A bounded schemathesis run over the OpenAPI schema: generated requests (valid and not) to
every API operation never make the server fail (no 5xx)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from monitor.config import Settings
from monitor.web import create_app
from tests.web.conftest import BEARER, store_factory

EXAMPLES_PER_OPERATION = 25


def test_no_generated_request_makes_the_api_fail(settings: Settings, db_path: Path) -> None:
    app = create_app(settings, lambda: store_factory(db_path))
    with TestClient(app):  # enters the lifespan: the store is open for schemathesis' client
        schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()
                      if isinstance(result, Ok)]
        assert len(operations) >= 6
        for operation in operations:

            @given(case=operation.as_strategy())
            @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def no_server_error(case: schemathesis.Case[Any]) -> None:
                case.call_and_validate(headers=BEARER, checks=[not_a_server_error])

            no_server_error()
