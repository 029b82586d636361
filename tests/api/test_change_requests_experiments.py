"""Experiments as a change-request kind: a policy holds their creation, a request creates
or patches one (its version moves, a stale request is refused naming the fields), and the
experiment's history (the audit feed) names the request."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from modelplane.store.static import read_json

H = dict[str, dict[str, str]]
CR = "/api/v1/change-requests"
EXP = "/api/v1/experiments"


def _variants(cheap_weight: int = 50) -> list[dict[str, Any]]:
    config: dict[str, Any] = read_json("router-defaults.json")
    cheap = {
        **config,
        "tierWeights": {
            c: {"cheap": 1.0, "mid": 0.0, "premium": 0.0} for c in ("simple", "moderate", "complex")
        },
    }
    return [
        {"name": "control", "weight": 100 - cheap_weight, "config": config},
        {"name": "cheap", "weight": cheap_weight, "config": cheap},
    ]


def _policy(client: TestClient, headers: H, n: int = 1) -> None:
    answer = client.put(
        "/api/v1/approval-policies/experiment",
        json={"approvers": n, "role": "editor"},
        headers=headers["admin"],
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kind"] == "experiment"


def _request(client: TestClient, headers: H, patch: dict[str, Any], version: int) -> Any:
    body = {
        "title": "ramp the cheap arm",
        "reason": "no regressions at 50%",
        "changes": [
            {"kind": "experiment", "id": "tiers", "patch": patch, "expectedVersion": version}
        ],
    }
    return client.post(CR, json=body, headers=headers["editor"])


def _audit(client: TestClient, headers: H) -> list[dict[str, Any]]:
    page = client.get(
        "/api/v1/audit", params={"kind": "experiment", "id": "tiers"}, headers=headers["admin"]
    )
    assert page.status_code == 200, page.text
    rows: list[dict[str, Any]] = page.json()["data"]
    return rows


def test_a_request_patches_an_experiment_once_approved(client: TestClient, headers: H) -> None:
    editor, admin = headers["editor"], headers["admin"]
    created = client.post(EXP, json={"name": "tiers", "variants": _variants()}, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    _policy(client, headers)

    opened = _request(client, headers, {"variants": _variants(80), "description": "ramp"}, 1)
    assert opened.status_code == 201, opened.text
    assert opened.json()["state"] == "pending"
    (change,) = opened.json()["changes"]
    fields = {d["field"] for d in change["diff"]}
    assert "description" in fields and any(f.startswith("variants") for f in fields)
    rid = opened.json()["id"]
    assert client.post(f"{CR}/{rid}/apply", headers=editor).status_code == 409
    assert client.post(f"{CR}/{rid}/approve", headers=admin).json()["state"] == "approved"
    applied = client.post(f"{CR}/{rid}/apply", headers=editor)
    assert applied.status_code == 200, applied.text
    assert applied.json()["state"] == "applied"

    now = client.get(f"{EXP}/tiers", headers=editor).json()
    assert now["version"] == 2 and now["description"] == "ramp"
    assert [v["weight"] for v in now["variants"]] == [20, 80]
    assert now["status"] == "running" and now["createdBy"] == "editor-token"
    latest = _audit(client, headers)[0]
    assert latest["action"] == "updated"
    assert latest["reason"] == f"change request #{rid}: ramp the cheap arm"

    # A request drawn at version 1 is stale now, and says which fields moved.
    stale = _request(client, headers, {"description": "other"}, 1)
    assert stale.status_code == 201
    sid = stale.json()["id"]
    client.post(f"{CR}/{sid}/approve", headers=admin)
    refused = client.post(f"{CR}/{sid}/apply", headers=editor)
    assert refused.status_code == 409 and "stale" in refused.json()["detail"]
    assert "description" in refused.json()["fields"]
    assert client.get(f"{EXP}/tiers", headers=editor).json()["description"] == "ramp"


def test_a_policy_refuses_a_direct_experiment_and_a_request_creates_it(
    client: TestClient, headers: H
) -> None:
    editor, admin = headers["editor"], headers["admin"]
    _policy(client, headers)
    body = {"name": "tiers", "variants": _variants()}
    direct = client.post(EXP, json=body, headers=editor)
    assert direct.status_code == 409, direct.text
    assert direct.json()["changeRequests"] == CR
    assert client.get(f"{EXP}/tiers", headers=editor).status_code == 404

    opened = _request(client, headers, {"variants": _variants()}, 0)
    assert opened.status_code == 201, opened.text
    rid = opened.json()["id"]
    client.post(f"{CR}/{rid}/approve", headers=admin)
    assert client.post(f"{CR}/{rid}/apply", headers=editor).status_code == 200
    made = client.get(f"{EXP}/tiers", headers=editor).json()
    assert made["version"] == 1 and made["status"] == "running"
    assert _audit(client, headers)[0]["reason"] == f"change request #{rid}: ramp the cheap arm"

    override = {**admin, "X-Emergency-Override": "incident 42"}
    other = client.post(EXP, json={**body, "name": "other"}, headers=override)
    assert other.status_code == 201, other.text
    rows = client.get(
        "/api/v1/audit", params={"kind": "experiment", "id": "other"}, headers=admin
    ).json()["data"]
    assert rows[0]["reason"] == "emergency override: incident 42"


def test_bad_experiment_patches_name_the_field(client: TestClient, headers: H) -> None:
    editor = headers["editor"]
    assert client.post(EXP, json={"name": "tiers", "variants": _variants()}, headers=editor)
    weights = _variants()
    weights[0]["weight"] = 10
    bad = _request(client, headers, {"variants": weights}, 1)
    assert bad.status_code == 422 and "changes[0].patch" in bad.text
    assert "sum to 100" in bad.text
    client.post(f"{EXP}/tiers/discard", json={}, headers=editor)
    ended = _request(client, headers, {"description": "late"}, 1)
    assert ended.status_code == 422 and "has ended" in ended.text
