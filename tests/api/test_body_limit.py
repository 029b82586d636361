"""Every endpoint refuses a request body over the server's limit with 413, a problem that
names the limit, whether the body declares its length or not; imports have their own,
larger limit; the connection is not left in a bad state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token

LIMIT = 4096


@pytest.fixture
def small(runtime: Runtime) -> Iterator[tuple[TestClient, dict[str, str]]]:
    limited = Runtime(runtime.settings.model_copy(update={"body_max_bytes": LIMIT}))
    _, token = create_token(limited.unit_of_work, TokenSpec(name="limit", role="admin"), "test")
    try:
        with TestClient(create_app(limited)) as client:
            yield client, {"Authorization": f"Bearer {token}"}
    finally:
        limited.close()


def _model(description: str) -> dict[str, Any]:
    return {
        "id": "acme:big-1",
        "provider": "openai",
        "name": "Big",
        "contextWindow": 1000,
        "pricing": {"input": 1, "output": 2},
        "description": description,
    }


def _assert_413(response: Any) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["limit"] == LIMIT
    assert f"{LIMIT:,} bytes" in body["detail"]


@pytest.mark.parametrize(
    "path", ["/api/v1/models", "/api/v1/route", "/api/v1/tokens", "/admin/login"]
)
def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(
    small: tuple[TestClient, dict[str, str]], path: str
) -> None:
    client, auth = small
    _assert_413(client.post(path, content=b"x" * (LIMIT + 1), headers=auth))


def test_a_streamed_body_over_the_limit_is_refused_once_it_passes_it(
    small: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = small
    big = json.dumps(_model("y" * LIMIT)).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count
        yield big[:1000]
        yield big[1000:]

    headers = {**auth, "Content-Type": "application/json"}
    _assert_413(client.post("/api/v1/models", content=chunks(), headers=headers))
    assert client.get("/api/v1/models/acme:big-1").status_code == 404  # nothing written
    # The same client goes on working.
    fits = client.post("/api/v1/models", json={**_model("small"), "reason": "ok"}, headers=auth)
    assert fits.status_code == 201, fits.text


def test_an_import_may_be_larger_than_other_bodies(
    small: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = small
    document = json.dumps({"models": [_model("z" * (LIMIT * 2))]}).encode()
    answer = client.post("/api/v1/import?dryRun=true", content=document, headers=auth)
    assert answer.status_code == 200, answer.text


def test_the_default_limit_is_one_mebibyte(client: TestClient) -> None:
    answer = client.post("/api/v1/route", content=b"x" * (1024 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json()["limit"] == 1024 * 1024


def test_a_usage_batch_has_the_bulk_limit(small: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = small
    events = [
        {"modelId": "openai:gpt-5", "feature": "chat", "latencyMs": 5, "inputTokens": i}
        for i in range(200)
    ]
    body = json.dumps({"events": events}).encode()
    assert len(body) > LIMIT
    headers = {**auth, "Content-Type": "application/json"}
    answer = client.post("/api/v1/usage", content=body, headers=headers)
    assert answer.status_code < 300, answer.text
