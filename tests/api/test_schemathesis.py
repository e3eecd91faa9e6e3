"""Property-based checks of the API against its own OpenAPI description (schemathesis, read endpoints)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from starlette.applications import Starlette

schemathesis = pytest.importorskip("schemathesis")


def test_read_endpoints_conform_to_the_openapi_description(app: Starlette) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(method="GET")
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case: Any) -> None:
            case.call_and_validate()

        conforms()
        checked.append(operation.label)
    assert len(checked) >= 8, checked
