"""The audit, kept: schemathesis generates requests from /openapi.json for every operation
and the real app (on each database) must answer each without a server error, with a status
code, content type and body that the document describes. Bounded (a few examples per
operation, derandomised) so that it runs in the normal suite in about a minute."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@pytest.fixture
def admin_token(runtime: Runtime) -> str:
    _, token = create_token(runtime.unit_of_work, TokenSpec(name="fuzz", role="admin"), "test")
    return token


EXCLUDED = {"/api/v1/events"}  # a change stream: it never ends by itself
EXAMPLES = 3


def test_every_operation_answers_as_documented(runtime: Runtime, admin_token: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime))
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"the document has an invalid operation: {result.err()}")
            continue
        operation = result.ok()
        if operation.path in EXCLUDED:
            continue
        tried += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert tried > 30
    assert failures == [], "\n\n".join(failures)


def test_the_document_lists_problem_answers_and_open_public_reads(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operations = [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]
    for method, path, operation in operations:
        problem = operation["responses"]["4XX"]["content"]
        assert list(problem) == ["application/problem+json"], (method, path)
        if "422" in operation["responses"]:
            assert "application/problem+json" in operation["responses"]["422"]["content"]
    public = spec["paths"]["/api/v1/models"]["get"]["security"]
    assert {} in public  # no token needed
    assert spec["paths"]["/api/v1/models"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    days = next(
        p
        for p in spec["paths"]["/api/v1/analytics/summary"]["get"]["parameters"]
        if p["name"] == "days"
    )
    assert days["schema"]["minimum"] == 1
