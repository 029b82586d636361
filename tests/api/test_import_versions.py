"""Version-aware import (issue 12, defect 7): an export records each document's version,
and importing it over a later edit is a conflict, refused whole unless skipped or forced."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from tests.api.test_bulk import H, _export, dump

M = "openai:gpt-5"
OTHER = "openai:gpt-5-mini"


def _edit_price(client: TestClient, headers: H, model_id: str, price: float) -> int:
    """Another user's edit after the export; the model's new version."""
    current = client.get(f"/api/v1/models/{model_id}", headers=headers["viewer"])
    response = client.patch(
        f"/api/v1/models/{model_id}",
        json={"pricing": {"input": price}, "reason": "price cut"},
        headers={**headers["editor"], "If-Match": current.headers["etag"]},
    )
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version


def _model(client: TestClient, headers: H, model_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        f"/api/v1/models/{model_id}", headers=headers["viewer"]
    ).json()
    return body


def _history(client: TestClient, headers: H, model_id: str) -> list[dict[str, Any]]:
    url = f"/api/v1/models/{model_id}/history"
    data: list[dict[str, Any]] = client.get(url, headers=headers["viewer"]).json()["data"]
    return data


def test_an_export_records_each_documents_version(client: TestClient, headers: H) -> None:
    document = _export(client, headers)
    model = next(m for m in document["models"] if m["id"] == M)
    assert model["version"] == _model(client, headers, M)["version"]
    assert all(isinstance(p["version"], int) and p["version"] >= 1 for p in document["profiles"])
    config = client.get("/api/v1/router/config", headers=headers["viewer"]).json()
    assert document["routerConfig"]["version"] == config["version"]


def test_importing_an_export_over_a_later_edit_is_refused_and_the_edit_kept(
    client: TestClient, headers: H, runtime: Runtime
) -> None:
    document = _export(client, headers)
    base = next(m for m in document["models"] if m["id"] == M)["version"]
    now = _edit_price(client, headers, M, 3)
    before = dump(runtime.engine)

    response = client.post("/api/v1/import", json=document, headers=headers["editor"])

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["conflicts"] == [
        {
            "kind": "models",
            "id": M,
            "baseVersion": base,
            "currentVersion": now,
            "changedFields": ["pricing.input"],
        }
    ]
    assert M in problem["detail"]
    assert _model(client, headers, M)["pricing"]["input"] == 3
    assert dump(runtime.engine) == before


def test_a_dry_run_lists_the_conflicts_and_writes_nothing(
    client: TestClient, headers: H, runtime: Runtime
) -> None:
    document = _export(client, headers)
    _edit_price(client, headers, M, 3)
    before = dump(runtime.engine)
    response = client.post("/api/v1/import?dryRun=true", json=document, headers=headers["editor"])
    assert response.status_code == 200
    report = response.json()
    assert [(c["kind"], c["id"]) for c in report["conflicts"]] == [("models", M)]
    assert report["conflicts"][0]["changedFields"] == ["pricing.input"]
    assert [u["id"] for u in report["diff"]["models"]["updated"]] == [M]
    assert dump(runtime.engine) == before


def test_force_needs_a_reason_and_then_applies_with_the_force_in_the_history(
    client: TestClient, headers: H
) -> None:
    document = _export(client, headers)
    exported_price = next(m for m in document["models"] if m["id"] == M)["pricing"]["input"]
    _edit_price(client, headers, M, 3)

    no_reason = client.post("/api/v1/import?force=true", json=document, headers=headers["editor"])
    assert no_reason.status_code == 422
    assert [e["path"] for e in no_reason.json()["errors"]] == ["reason"]
    assert _model(client, headers, M)["pricing"]["input"] == 3

    forced = client.post(
        "/api/v1/import?force=true&reason=restore the audited prices",
        json=document,
        headers=headers["editor"],
    )
    assert forced.status_code == 200, forced.text
    report = forced.json()
    assert [c["id"] for c in report["forced"]] == [M]
    assert _model(client, headers, M)["pricing"]["input"] == exported_price
    top = _history(client, headers, M)[0]
    assert top["changeType"] == "imported"
    assert top["reason"] == "forced over a version conflict: restore the audited prices"


def test_skip_conflicts_applies_the_rest_and_reports_the_skipped(
    client: TestClient, headers: H
) -> None:
    document = _export(client, headers)
    _edit_price(client, headers, M, 3)
    other = next(m for m in document["models"] if m["id"] == OTHER)
    other["pricing"]["output"] = 77
    response = client.post(
        "/api/v1/import?skipConflicts=true", json=document, headers=headers["editor"]
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert [c["id"] for c in report["skipped"]] == [M]
    assert [u["id"] for u in report["diff"]["models"]["updated"]] == [OTHER]
    assert _model(client, headers, M)["pricing"]["input"] == 3
    assert _model(client, headers, OTHER)["pricing"]["output"] == 77


def test_force_and_skip_together_are_refused(client: TestClient, headers: H) -> None:
    response = client.post(
        "/api/v1/import?force=true&skipConflicts=true&reason=r",
        json=_export(client, headers),
        headers=headers["editor"],
    )
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["query.force"]


def test_a_document_without_a_version_is_imported_over_whatever_is_current(
    client: TestClient, headers: H
) -> None:
    document = _export(client, headers)
    _edit_price(client, headers, M, 3)
    model = next(m for m in document["models"] if m["id"] == M)
    model.pop("version")
    model["pricing"]["output"] = 42
    response = client.post("/api/v1/import", json={"models": [model]}, headers=headers["editor"])
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["conflicts"] == []
    assert report["noBaseVersion"]["models"] == [M]
    assert _model(client, headers, M)["pricing"]["output"] == 42


def test_new_documents_are_not_conflicts(client: TestClient, headers: H) -> None:
    document = _export(client, headers)
    copied = {**next(m for m in document["models"] if m["id"] == M), "id": "openai:copy"}
    copied["version"] = 9
    response = client.post("/api/v1/import", json={"models": [copied]}, headers=headers["editor"])
    assert response.status_code == 200, response.text
    assert response.json()["diff"]["models"]["created"] == ["openai:copy"]
    assert response.json()["conflicts"] == []
    assert _model(client, headers, "openai:copy")["version"] == 1


def test_a_router_config_edit_since_the_export_is_a_conflict(
    client: TestClient, headers: H
) -> None:
    document = _export(client, headers)
    config = client.get("/api/v1/router/config", headers=headers["viewer"])
    edited = client.patch(
        "/api/v1/router/config",
        json={"costTiers": {"cheapThreshold": config.json()["costTiers"]["cheapThreshold"] / 2}},
        headers={**headers["admin"], "If-Match": config.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    response = client.post("/api/v1/import", json=document, headers=headers["editor"])
    assert response.status_code == 409
    [conflict] = response.json()["conflicts"]
    assert (conflict["kind"], conflict["id"]) == ("routerConfig", "router")
    assert conflict["changedFields"] == ["costTiers.cheapThreshold"]


def test_a_bad_version_is_named_by_its_path(client: TestClient, headers: H) -> None:
    document = _export(client, headers)
    document["models"][2]["version"] = "three"
    document["profiles"][1]["version"] = -1
    response = client.post("/api/v1/import", json=document, headers=headers["editor"])
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert paths == {"models[2].version", "profiles[1].version"}
