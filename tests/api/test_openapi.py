"""Every write the API offers documents its body: a client generated from /openapi.json
knows what to send."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

WRITES = ("post", "put", "patch")


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in WRITES
    ]


def _spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.json()
    return spec


def test_every_write_operation_has_a_request_body_schema(client: TestClient) -> None:
    spec = _spec(client)
    missing = []
    for method, path, operation in _operations(spec):
        content = operation.get("requestBody", {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if not schema:
            missing.append(f"{method.upper()} {path}")
    assert _operations(spec), "the API offers writes"
    assert missing == []


def test_versioned_write_bodies_carry_expected_version_and_reason(client: TestClient) -> None:
    spec = _spec(client)
    schemas = spec["components"]["schemas"]
    for name in ("ModelPatch", "RouterConfigPatch", "ProfilePut", "Rollback", "StatusChange"):
        properties = schemas[name]["properties"]
        assert {"expectedVersion", "reason"} <= properties.keys(), name
    assert schemas["ModelPatch"]["properties"]["reason"]["maxLength"] == 2000
