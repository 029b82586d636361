"""Retiring a model for good, and bulk status changes: one rule in the service, the same
answers over HTTP on both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.services import models as svc

H = dict[str, dict[str, str]]
M = "openai:gpt-5"
FALLBACK = "openai:gpt-5-mini"
ROUTER = "openai:gpt-oss-120b"


def _listed(client: TestClient) -> set[str]:
    return {m["id"] for m in client.get("/v1/models").json()["data"]}


def _retire(client: TestClient, headers: H, model_id: str = M, **body: Any) -> Any:
    body = {"reason": "end of life at the provider", **body}
    return client.post(f"/api/v1/models/{model_id}/retire", json=body, headers=headers["admin"])


def test_a_retired_model_leaves_every_list_but_keeps_its_history(
    client: TestClient, headers: H
) -> None:
    assert M in _listed(client)
    answer = _retire(client, headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["retiredBy"] == "admin-token"
    assert answer.json()["reason"] == "end of life at the provider"

    assert M not in _listed(client)
    api_list = client.get("/api/v1/models", headers=headers["viewer"]).json()
    assert M not in {m["id"] for m in api_list["data"]}
    assert client.get(f"/api/v1/models/{M}").status_code == 404
    assert M not in {m["id"] for m in client.get("/api/v1/models/search?q=gpt-5").json()["data"]}

    history = client.get(f"/api/v1/models/{M}/history", headers=headers["viewer"]).json()
    top = history["data"][0]
    assert (top["changeType"], top["author"], top["reason"]) == (
        "retired",
        "admin-token",
        "end of life at the provider",
    )
    assert history["total"] >= 2  # the versions before it are kept


def test_a_retired_id_is_reserved_against_create_edit_and_import(
    client: TestClient, headers: H
) -> None:
    export = client.get("/api/v1/export", headers=headers["viewer"]).json()
    stored = next(m for m in export["models"] if m["id"] == M)
    assert _retire(client, headers).status_code == 200

    document = {k: v for k, v in stored.items() if k != "version"}
    created = client.post("/api/v1/models", json=document, headers=headers["editor"])
    assert created.status_code == 409
    assert "retired" in created.json()["detail"] and M in created.json()["detail"]

    patched = client.patch(
        f"/api/v1/models/{M}",
        json={"name": "Back again", "expectedVersion": stored["version"] + 1},
        headers=headers["editor"],
    )
    assert patched.status_code == 409 and "retired" in patched.json()["detail"]
    assert _retire(client, headers).status_code == 409  # once is for good

    stored["name"] = "Back again"
    document = {"schemaVersion": export["schemaVersion"], "models": [stored]}
    imported = client.post("/api/v1/import?dryRun=true", json=document, headers=headers["editor"])
    assert imported.status_code == 422
    errors = imported.json()["errors"]
    assert errors[0]["path"] == "models[0].id"
    assert "retired" in errors[0]["message"] and M in errors[0]["message"]


def test_only_an_admin_with_a_reason_retires_and_never_the_routers_models(
    client: TestClient, headers: H
) -> None:
    editor = client.post(
        f"/api/v1/models/{M}/retire", json={"reason": "x"}, headers=headers["editor"]
    )
    assert editor.status_code == 403
    blank = _retire(client, headers, reason=" ")
    assert blank.status_code == 422 and blank.json()["errors"][0]["path"] == "reason"
    for named, role in ((FALLBACK, "fallback"), (ROUTER, "router")):
        refused = _retire(client, headers, named)
        assert refused.status_code == 422
        assert f"router's {role} model" in refused.json()["errors"][0]["message"]
        assert named in _listed(client)


def test_bulk_deprecation_with_one_reason_is_one_change_or_none(
    client: TestClient, headers: H, runtime: Runtime
) -> None:
    listed = sorted(_listed(client) - {FALLBACK, ROUTER})
    chosen = listed[:3]
    refused = client.post(
        "/api/v1/models/bulk-status",
        json={"ids": [*chosen, FALLBACK], "status": "deprecated", "reason": "spring clean"},
        headers=headers["editor"],
    )
    assert refused.status_code == 422
    messages = [e["message"] for e in refused.json()["errors"]]
    assert len(messages) == 1 and FALLBACK in messages[0]
    models = {m["id"]: m for m in client.get("/api/v1/models?limit=500").json()["data"]}
    assert all(models[i]["status"] != "deprecated" for i in chosen)  # nothing was written

    done = client.post(
        "/api/v1/models/bulk-status",
        json={"ids": chosen, "status": "deprecated", "reason": "spring clean"},
        headers=headers["editor"],
    )
    assert done.status_code == 200, done.text
    assert sorted(c["id"] for c in done.json()["changed"]) == chosen
    models = {m["id"]: m for m in client.get("/api/v1/models?limit=500").json()["data"]}
    assert all(models[i]["status"] == "deprecated" for i in chosen)
    top = client.get(f"/api/v1/models/{chosen[0]}/history", headers=headers["viewer"]).json()
    assert (top["data"][0]["reason"], top["data"][0]["changeType"]) == (
        "spring clean",
        "deprecated",
    )

    again = svc.bulk_set_status(runtime.unit_of_work, chosen, "active", "ann", "back in use")
    assert sorted(m.id for m in again.changed) == chosen and again.unchanged == []
    models = {m["id"]: m for m in client.get("/api/v1/models?limit=500").json()["data"]}
    assert all(models[i]["status"] == "active" for i in chosen)


def test_bulk_status_refuses_bad_input_naming_the_field(client: TestClient, headers: H) -> None:
    def post(body: dict[str, Any]) -> Any:
        return client.post("/api/v1/models/bulk-status", json=body, headers=headers["editor"])

    no_reason = post({"ids": [M], "status": "deprecated"})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["path"] == "reason"
    bad_status = post({"ids": [M], "status": "gone", "reason": "r"})
    assert bad_status.json()["errors"][0]["path"] == "status"
    unknown = post({"ids": [M, "acme:nope"], "status": "deprecated", "reason": "r"})
    assert unknown.status_code == 422
    assert "acme:nope" in unknown.json()["errors"][0]["message"]
    assert post({"ids": "x", "status": "active", "reason": "r"}).status_code == 422
    assert (
        client.post("/api/v1/models/bulk-status", json={}, headers=headers["viewer"]).status_code
        == 403
    )
