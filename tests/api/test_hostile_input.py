"""Hostile input over real HTTP, on each database: a 422 problem naming the field, never a 500
(a NUL used to reach PostgreSQL and fail there)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

H = dict[str, dict[str, str]]
M = "openai:gpt-5"


def new_model(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "acme:hostile-1",
        "provider": "openai",
        "name": "Hostile 1",
        "contextWindow": 8000,
        "pricing": {"input": 1, "output": 2},
    }
    return {**body, **overrides}


def problem_paths(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["path"]: e["message"] for e in response.json()["errors"]}


def test_a_nul_in_a_description_is_a_422_naming_the_field(client: TestClient, headers: H) -> None:
    created = client.post(
        "/api/v1/models", json=new_model(description="fast\u0000model"), headers=headers["editor"]
    )
    assert problem_paths(created) == {"description": "must not contain control characters (U+0000)"}
    current = client.get(f"/api/v1/models/{M}")
    patched = client.patch(
        f"/api/v1/models/{M}",
        json={"description": "x\u0000"},
        headers={**headers["editor"], "If-Match": current.headers["ETag"]},
    )
    assert list(problem_paths(patched)) == ["description"]
    assert client.get(f"/api/v1/models/{M}").json().get("description") != "x\u0000"


@pytest.mark.parametrize("model_id", ["acme:a/./b", "acme:a/../b", "acme:a//b", "acme:a%2Fb"])
def test_an_id_that_urls_would_rewrite_is_a_422_naming_the_field(
    client: TestClient, headers: H, model_id: str
) -> None:
    created = client.post("/api/v1/models", json=new_model(id=model_id), headers=headers["editor"])
    assert list(problem_paths(created)) == ["id"]


def test_a_100000_key_benchmarks_object_is_refused_by_size_and_101_keys_by_count(
    client: TestClient, headers: H
) -> None:
    many = {f"bench-{i}": 1 for i in range(100_000)}
    created = client.post(
        "/api/v1/models", json=new_model(benchmarks=many), headers=headers["editor"]
    )
    assert created.status_code == 413  # 1.7 MB: over the body limit, never parsed
    over = {f"bench-{i}": 1 for i in range(101)}
    created = client.post(
        "/api/v1/models", json=new_model(benchmarks=over), headers=headers["editor"]
    )
    paths = problem_paths(created)
    assert list(paths) == ["benchmarks"] and "at most 100 items" in paths["benchmarks"]


@pytest.mark.parametrize("score", [1e7, -1e7, 1e308])
def test_a_benchmark_score_out_of_range_is_a_422_naming_the_key(
    client: TestClient, headers: H, score: float
) -> None:
    created = client.post(
        "/api/v1/models", json=new_model(benchmarks={"mmlu": score}), headers=headers["editor"]
    )
    assert list(problem_paths(created)) == ["benchmarks.mmlu"]


def test_150000_capabilities_are_refused_quickly(client: TestClient, headers: H) -> None:
    many = ["vision"] * 150_000  # ~1.3 MB: the body limit answers before any parsing
    created = client.post(
        "/api/v1/models", json=new_model(capabilities=many), headers=headers["editor"]
    )
    assert created.status_code == 413
    some = ["vision", "thinking", "vision"]
    created = client.post(
        "/api/v1/models", json=new_model(capabilities=some), headers=headers["editor"]
    )
    assert list(problem_paths(created)) == ["capabilities"]


def test_a_nul_in_an_import_row_names_the_row_and_field(client: TestClient, headers: H) -> None:
    exported = client.get("/api/v1/export", headers=headers["editor"])
    assert exported.status_code == 200
    document = exported.json()
    document["models"][0]["name"] = "bad\u0000name"
    imported = client.post("/api/v1/import", json=document, headers=headers["editor"])
    paths = problem_paths(imported)
    assert any(p.startswith("models[0]") and p.endswith("name") for p in paths), paths
