"""Model writes over HTTP: versioned, audited, reversible; bad input is a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

M = "openai:gpt-5"
H = dict[str, dict[str, str]]


def _get(client: TestClient, model_id: str = M) -> tuple[dict[str, Any], str]:
    response = client.get(f"/api/v1/models/{model_id}")
    assert response.status_code == 200
    return response.json(), response.headers["ETag"]


def test_editor_changes_a_price_sees_it_everywhere_and_rolls_it_back(
    client: TestClient, headers: H
) -> None:
    before, etag = _get(client)
    changed = client.patch(
        f"/api/v1/models/{M}",
        json={"pricing": {"input": 3}, "reason": "price cut announced"},
        headers={**headers["editor"], "If-Match": etag},
    )
    assert changed.status_code == 200
    assert changed.json()["pricing"] == {**before["pricing"], "input": 3}
    listed = {m["id"]: m for m in client.get("/v1/models").json()["data"]}
    assert listed[M]["pricing"]["input"] == 3

    latest = client.get(f"/api/v1/models/{M}/history", headers=headers["viewer"]).json()
    entry = latest["data"][0]
    assert (entry["author"], entry["reason"], entry["changeType"]) == (
        "editor-token",
        "price cut announced",
        "updated",
    )
    assert entry["changes"] == [{"field": "pricing.input", "old": 2.5, "new": 3}]

    undone = client.post(
        f"/api/v1/models/{M}/rollback",
        json={"version": 1, "reason": "cut postponed"},
        headers={**headers["editor"], "If-Match": changed.headers["ETag"]},
    )
    assert undone.status_code == 200
    assert undone.json()["version"] == 3
    assert client.get("/v1/models/" + M).json()["pricing"] == before["pricing"]
    top = client.get(f"/api/v1/models/{M}/history", headers=headers["viewer"]).json()["data"][0]
    assert (top["changeType"], top["reason"]) == ("rolled_back", "cut postponed")


def test_rollback_restores_every_field_exactly(client: TestClient, headers: H) -> None:
    original, _ = _get(client)
    patch = {
        "name": "Renamed",
        "contextWindow": 1234,
        "pricing": {"input": 9, "output": 99, "cached": None, "reasoning": 7},
        "capabilities": ["vision"],
        "knowledgeCutoff": None,
        "reasoning": None,
        "description": "now described",
        "benchmarks": {"mmlu": 0.5},
        "speedTier": "slow",
        "isPro": True,
        "isExperimental": True,
        "status": "beta",
    }
    changed = client.patch(
        f"/api/v1/models/{M}", json={**patch, "expectedVersion": 1}, headers=headers["editor"]
    )
    assert changed.status_code == 200, changed.text
    client.post(
        f"/api/v1/models/{M}/rollback",
        json={"version": 1, "expectedVersion": 2},
        headers=headers["editor"],
    ).raise_for_status()
    restored, _ = _get(client)
    volatile = {"version", "updatedAt", "updatedBy"}
    assert {k: v for k, v in restored.items() if k not in volatile} == {
        k: v for k, v in original.items() if k not in volatile
    }
    at_one = client.get(f"/api/v1/models/{M}/history/1", headers=headers["viewer"]).json()
    assert at_one["pricing"] == original["pricing"] and at_one["version"] == 1


def test_patch_merges_nested_pricing(client: TestClient, headers: H) -> None:
    before, _ = _get(client)
    response = client.patch(
        f"/api/v1/models/{M}",
        json={"pricing": {"output": 11}, "expectedVersion": 1},
        headers=headers["editor"],
    )
    assert response.json()["pricing"] == {**before["pricing"], "output": 11}


def test_stale_write_is_refused_with_409_naming_what_changed(
    client: TestClient, headers: H
) -> None:
    first = client.patch(
        f"/api/v1/models/{M}", json={"name": "A", "expectedVersion": 1}, headers=headers["editor"]
    )
    assert first.status_code == 200
    stale = client.patch(
        f"/api/v1/models/{M}",
        json={"contextWindow": 5},
        headers={**headers["editor"], "If-Match": '"1"'},
    )
    assert stale.status_code == 409
    assert stale.json()["currentVersion"] == 2
    assert stale.json()["changedFields"] == ["name"]
    assert _get(client)[0]["contextWindow"] != 5


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"name": "x"}),
        ("POST", "/deprecate", {}),
        ("POST", "/rollback", {"version": 1}),
    ],
)
def test_a_write_without_a_version_gets_428(
    client: TestClient, headers: H, method: str, suffix: str, body: dict[str, Any]
) -> None:
    response = client.request(
        method, f"/api/v1/models/{M}{suffix}", json=body, headers=headers["editor"]
    )
    assert response.status_code == 428
    assert _get(client)[0]["version"] == 1


@pytest.mark.parametrize(
    ("content", "paths"),
    [
        (b"{not json", {""}),
        (b"[1, 2]", {""}),
        (b'{"pricing": {"input": "x"}}', {"pricing.input"}),
        (b'{"contextWindow": 1e400}', {"contextWindow"}),
        (b'{"pricing": {"input": 1e30}}', {"pricing.input"}),
        (b'{"benchmarks": {"x": NaN}}', {"benchmarks.x"}),
        (b'{"bogus": 1, "capabilities": ["telepathy"]}', {"bogus", "capabilities[0]"}),
        (b'{"version": 9}', {"version"}),
    ],
)
def test_bad_input_is_a_422_naming_each_field(
    client: TestClient, headers: H, content: bytes, paths: set[str]
) -> None:
    response = client.patch(
        f"/api/v1/models/{M}",
        content=content,
        headers={**headers["editor"], "If-Match": '"1"', "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["path"] for e in response.json()["errors"]} == paths


def test_create_deprecate_reactivate_and_duplicate_ids_with_slashes(
    client: TestClient, headers: H
) -> None:
    provider = client.post(
        "/api/v1/providers", json={"id": "acme", "displayName": "Acme"}, headers=headers["editor"]
    )
    assert provider.status_code == 201
    model_id = "acme:org/fast-1.5"
    created = client.post(
        "/api/v1/models",
        json={
            "id": model_id,
            "provider": "acme",
            "name": "Fast",
            "contextWindow": 1000,
            "pricing": {"input": 1, "output": 2},
            "status": "beta",
        },
        headers=headers["editor"],
    )
    assert created.status_code == 201, created.text
    assert created.headers["ETag"] == '"1"'
    deprecated = client.post(
        f"/api/v1/models/{model_id}/deprecate",
        json={"expectedVersion": 1},
        headers=headers["editor"],
    )
    assert deprecated.json()["status"] == "deprecated"
    back = client.post(
        f"/api/v1/models/{model_id}/reactivate", headers={**headers["editor"], "If-Match": '"2"'}
    )
    assert back.json()["status"] == "beta"
    copy = client.post(f"/api/v1/models/{model_id}/duplicate", json={}, headers=headers["editor"])
    assert copy.status_code == 201 and copy.json()["id"] == f"{model_id}-copy"
    assert copy.json()["status"] == "beta" and copy.json()["isInternalOnly"] is True
    again = client.post(f"/api/v1/models/{model_id}/duplicate", json={}, headers=headers["editor"])
    assert again.status_code == 409
    history = client.get(f"/api/v1/models/{model_id}/history?limit=2", headers=headers["viewer"])
    assert [e["version"] for e in history.json()["data"]] == [3, 2]
    assert history.json()["total"] == 3


def test_openai_list_hides_internal_and_for_mobile_experimental(
    client: TestClient, headers: H
) -> None:
    for model_id, field in (("openai:gpt-5-mini", "isInternalOnly"), (M, "isExperimental")):
        client.patch(
            f"/api/v1/models/{model_id}",
            json={field: True, "expectedVersion": 1},
            headers=headers["editor"],
        ).raise_for_status()
    web = {m["id"] for m in client.get("/v1/models").json()["data"]}
    mobile = {m["id"] for m in client.get("/v1/models?platform=mobile").json()["data"]}
    assert "openai:gpt-5-mini" not in web and M in web and M not in mobile
    assert client.get("/v1/models/openai:gpt-5-mini").status_code == 404
    listed = client.get("/v1/models").json()
    assert listed["object"] == "list"
    assert listed["data"][0]["id"] == "auto"  # the router's meta-model, for pickers
    assert client.get("/v1/models/auto").json()["owned_by"] == "modelplane"


def test_router_config_patch_is_validated_whole_and_versioned(
    client: TestClient, headers: H
) -> None:
    bad = client.patch(
        "/api/v1/router/config",
        json={"costTiers": {"cheapThreshold": 100}, "expectedVersion": 1},
        headers=headers["editor"],
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "costTiers"
    unknown = client.patch(
        "/api/v1/router/config",
        json={"routerSettings": {"fallbackModelId": "nope:none"}, "expectedVersion": 1},
        headers=headers["editor"],
    )
    assert unknown.json()["errors"][0]["path"] == "routerSettings.fallbackModelId"
    ok = client.patch(
        "/api/v1/router/config",
        json={"routerSettings": {"maxRetries": 4}, "expectedVersion": 1, "reason": "flaky"},
        headers=headers["editor"],
    )
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    history = client.get("/api/v1/router/config/history", headers=headers["viewer"]).json()
    assert history["data"][0]["changes"][0]["field"] == "routerSettings.maxRetries"
    back = client.post(
        "/api/v1/router/config/rollback",
        json={"version": 1, "expectedVersion": 2},
        headers=headers["editor"],
    )
    assert back.json()["routerSettings"]["maxRetries"] != 4


def test_profile_put_checks_categories_and_scores(client: TestClient, headers: H) -> None:
    bad = client.put(
        f"/api/v1/router/profiles/{M}",
        json={"qualityScore": 101, "categoryScores": {"juggling": 5}, "expectedVersion": 1},
        headers=headers["editor"],
    )
    assert bad.status_code == 422
    assert {e["path"] for e in bad.json()["errors"]} == {"qualityScore"}
    unknown = client.put(
        f"/api/v1/router/profiles/{M}",
        json={"qualityScore": 50, "categoryScores": {"juggling": 5}, "expectedVersion": 1},
        headers=headers["editor"],
    )
    assert [e["path"] for e in unknown.json()["errors"]] == ["categoryScores.juggling"]


def test_an_id_ending_in_an_api_path_is_refused_by_create_and_duplicate(
    client: TestClient, headers: H
) -> None:
    body = {
        "id": "openai:x/rollback",
        "provider": "openai",
        "name": "X",
        "contextWindow": 10,
        "pricing": {"input": 1, "output": 1},
    }
    created = client.post("/api/v1/models", json=body, headers=headers["editor"])
    assert created.status_code == 422
    assert created.json()["errors"][0]["path"] == "id"
    copied = client.post(
        f"/api/v1/models/{M}/duplicate",
        json={"newId": "openai:x/history/2"},
        headers=headers["editor"],
    )
    assert copied.status_code == 422
    assert "the API uses that path" in copied.text
