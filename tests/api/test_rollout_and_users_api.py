"""Flags, experiments, the rollout report and users over the real HTTP app."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from modelplane.store.static import read_json

H = dict[str, dict[str, str]]


def test_a_flag_is_set_read_evaluated_and_rolled_back(client: TestClient, headers: H) -> None:
    editor, viewer = headers["editor"], headers["viewer"]
    listed = client.get("/api/v1/flags", headers=viewer).json()
    assert "models_source" in {f["name"] for f in listed["data"]}
    assert (
        client.patch(
            "/api/v1/flags/models_source", json={"percentage": 5}, headers=editor
        ).status_code
        == 428
    )
    v = client.get("/api/v1/flags/models_source", headers=viewer).json()["version"]
    body = {"enabled": True, "percentage": 40, "expectedVersion": v, "reason": "first step"}
    first = client.patch("/api/v1/flags/models_source", json=body, headers=editor)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == v + 1 and first.headers["ETag"] == f'"{v + 1}"'
    second = client.patch(
        "/api/v1/flags/models_source",
        json={"percentage": 90, "expectedVersion": v + 1},
        headers=editor,
    )
    assert second.json()["percentage"] == 90
    stale = client.patch(
        "/api/v1/flags/models_source",
        json={"percentage": 1, "expectedVersion": v + 1},
        headers=editor,
    )
    assert stale.status_code == 409
    history = client.get("/api/v1/flags/models_source/history", headers=viewer).json()
    assert [e["version"] for e in history["data"]][:2] == [v + 2, v + 1]
    assert history["data"][1]["reason"] == "first step"
    evaluated = client.get(
        "/api/v1/flags/models_source/evaluate", params={"userId": "u-1"}, headers=viewer
    ).json()
    assert evaluated["flag"] == "models_source" and 1 <= evaluated["bucket"] <= 100
    back = client.post(
        "/api/v1/flags/models_source/rollback",
        json={"version": v + 1, "expectedVersion": v + 2, "reason": "too fast"},
        headers=editor,
    )
    assert back.status_code == 200, back.text
    assert back.json()["percentage"] == 40 and back.json()["version"] == v + 3
    assert client.get("/api/v1/flags/nope", headers=viewer).status_code == 404
    assert (
        client.patch(
            "/api/v1/flags/models_source",
            json={"percentage": 5, "expectedVersion": 3},
            headers=viewer,
        ).status_code
        == 403
    )


def _variants() -> list[dict[str, Any]]:
    config: dict[str, Any] = read_json("router-defaults.json")
    cheap = {
        **config,
        "tierWeights": {
            c: {"cheap": 1.0, "mid": 0.0, "premium": 0.0} for c in ("simple", "moderate", "complex")
        },
    }
    return [
        {"name": "control", "weight": 50, "config": config},
        {"name": "cheap", "weight": 50, "config": cheap},
    ]


def test_an_experiment_is_created_reported_and_promoted(client: TestClient, headers: H) -> None:
    editor = headers["editor"]
    body = {"name": "tiers", "variants": _variants()}
    created = client.post("/api/v1/experiments", json=body, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "running"
    assert client.post("/api/v1/experiments", json=body, headers=editor).status_code == 409
    assert client.get("/api/v1/experiments", headers=editor).json()["count"] == 1
    report = client.get("/api/v1/experiments/tiers/report", headers=editor).json()
    assert [v["variant"] for v in report["variants"]] == ["control", "cheap"]
    version = client.get("/api/v1/router/config").json()["version"]
    missing = client.post(
        "/api/v1/experiments/tiers/promote",
        json={"variant": "x", "expectedVersion": version},
        headers=editor,
    )
    assert missing.status_code == 422 and "cheap" in missing.text
    promoted = client.post(
        "/api/v1/experiments/tiers/promote",
        json={"variant": "cheap", "expectedVersion": version, "reason": "cheaper, as good"},
        headers=editor,
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["status"] == "ended"
    assert promoted.json()["routerConfig"]["version"] == version + 1
    config = client.get("/api/v1/router/config").json()
    assert config["tierWeights"]["complex"]["premium"] == 0.0
    again = client.post("/api/v1/experiments/tiers/discard", json={}, headers=editor)
    assert again.status_code == 422 and "already ended" in again.text


def test_the_rollout_report_is_served(client: TestClient, headers: H) -> None:
    report = client.get("/api/v1/rollout/report", params={"hours": 1}, headers=headers["viewer"])
    assert report.status_code == 200
    assert set(report.json()) >= {"flags", "sources", "mismatches"}
    assert client.get("/api/v1/rollout/report").status_code == 401


def test_admins_manage_users(client: TestClient, headers: H) -> None:
    admin = headers["admin"]
    body = {"username": "ana", "role": "editor", "password": "a long password"}
    assert client.post("/api/v1/users", json=body, headers=headers["editor"]).status_code == 403
    created = client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert "password" not in created.json() and created.json()["createdBy"] == "admin-token"
    short = client.post(
        "/api/v1/users", json={**body, "username": "bo", "password": "x"}, headers=admin
    )
    assert short.status_code == 422 and "password" in short.text
    role = client.put("/api/v1/users/ana/role", json={"role": "viewer"}, headers=admin)
    assert role.json()["role"] == "viewer"
    assert (
        client.put("/api/v1/users/ana/role", json={"role": "root"}, headers=admin).status_code
        == 422
    )
    assert client.post("/api/v1/users/ana/disable", json={}, headers=admin).json()["disabled"]
    assert not client.post("/api/v1/users/ana/enable", json={}, headers=admin).json()["disabled"]
    reset = client.post(
        "/api/v1/users/ana/password", json={"password": "another long one"}, headers=admin
    )
    assert reset.status_code == 200
    assert client.get("/api/v1/users", headers=admin).json()["data"][0]["username"] == "ana"
    assert client.post("/api/v1/users/zed/disable", json={}, headers=admin).status_code == 404
