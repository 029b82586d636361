"""Bulk export and import: checked whole, all or nothing, and idempotent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from modelplane.bootstrap import Runtime
from modelplane.store.tables import metadata

H = dict[str, dict[str, str]]
STATIC = Path(__file__).parents[2] / "src/modelplane/static/router-profiles-extended.json"


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but ``api_tokens`` (whose ``last_used_at`` notes each
    request, the import's own included), in a stable order."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(repr(v) for v in row) for row in conn.execute(select(table))), key=str
            )
            for table in metadata.sorted_tables
            if table.name != "api_tokens"
        }


def _export(client: TestClient, headers: H) -> dict[str, Any]:
    response = client.get("/api/v1/export", headers=headers["viewer"])
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_importing_an_export_of_the_same_database_changes_nothing(
    client: TestClient, headers: H, runtime: Runtime
) -> None:
    document = _export(client, headers)
    before = dump(runtime.engine)
    response = client.post("/api/v1/import", json=document, headers=headers["editor"])
    assert response.status_code == 200
    assert response.json()["changeCount"] == 0
    assert len(response.json()["diff"]["models"]["unchanged"]) == len(document["models"])
    assert dump(runtime.engine) == before


def test_a_bad_row_in_the_middle_leaves_the_database_unchanged(
    client: TestClient, headers: H, runtime: Runtime
) -> None:
    document = _export(client, headers)
    for model in document["models"]:
        model["pricing"]["input"] = round(model["pricing"]["input"] + 1, 6)
    document["models"][3]["pricing"]["input"] = -1
    document["models"][7]["provider"] = "nobody"
    document["profiles"][2]["categoryScores"]["coding"] = 500
    before = dump(runtime.engine)
    response = client.post("/api/v1/import", json=document, headers=headers["editor"])
    assert response.status_code == 422
    assert {e["path"] for e in response.json()["errors"]} == {
        "models[3].pricing.input",
        "models[7].provider",
        "profiles[2].categoryScores.coding",
    }
    assert dump(runtime.engine) == before


def test_dry_run_reports_the_diff_and_apply_writes_one_imported_entry_per_model(
    client: TestClient, headers: H
) -> None:
    document = _export(client, headers)
    document["models"][0]["pricing"]["output"] = 123
    document["models"].append({**document["models"][1], "id": "openai:brand-new"})
    dry = client.post("/api/v1/import?dryRun=true", json=document, headers=headers["editor"])
    diff = dry.json()["diff"]["models"]
    assert diff["created"] == ["openai:brand-new"]
    assert diff["updated"][0]["changes"][0]["field"] == "pricing.output"
    assert client.get("/api/v1/models/openai:brand-new").status_code == 404

    applied = client.post(
        "/api/v1/import?reason=quarterly%20prices", json=document, headers=headers["editor"]
    )
    assert applied.json()["changeCount"] == 2
    changed_id = diff["updated"][0]["id"]
    entry = client.get(f"/api/v1/models/{changed_id}/history", headers=headers["viewer"])
    top = entry.json()["data"][0]
    assert (top["changeType"], top["reason"], top["author"]) == (
        "imported",
        "quarterly prices",
        "editor-token",
    )


def test_malformed_imports_get_422_listing_every_error(client: TestClient, headers: H) -> None:
    response = client.post(
        "/api/v1/import",
        json={"schemaVersion": 7, "extra": 1, "models": [{"id": "bad"}], "profiles": "no"},
        headers=headers["editor"],
    )
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"schemaVersion", "extra", "models[0].id", "models[0].pricing", "profiles"} <= paths
    garbage = client.post("/api/v1/import", content=b'{"models": [', headers=headers["editor"])
    assert garbage.status_code == 422


def test_an_import_over_the_size_limit_gets_413(runtime: Runtime, headers: H) -> None:
    from modelplane.api.app import create_app

    small = Runtime(runtime.settings.model_copy(update={"import_max_bytes": 1000}))
    try:
        with TestClient(create_app(small)) as client:
            big = json.dumps({"models": [], "source": "x" * 2000}).encode()
            response = client.post("/api/v1/import", content=big, headers=headers["editor"])
            assert response.status_code == 413

            def chunks() -> Any:  # no Content-Length: the server must count
                yield big[:600]
                yield big[600:]

            streamed = client.post("/api/v1/import", content=chunks(), headers=headers["editor"])
            assert streamed.status_code == 413
    finally:
        small.close()


def test_extended_profile_tables_import_as_profiles_with_unknown_models_named(
    client: TestClient, headers: H
) -> None:
    document = json.loads(STATIC.read_text())
    response = client.post("/api/v1/import?dryRun=true", json=document, headers=headers["editor"])
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert all(e["path"].startswith("profiles[") and e["path"].endswith(".modelId") for e in errors)
    assert any("meta:llama-4-maverick" in e["message"] for e in errors)

    known = {m["id"] for m in client.get("/api/v1/models").json()["data"]}
    document["profiles"] = [p for p in document["profiles"] if p["modelId"] in known]
    ok = client.post("/api/v1/import", json=document, headers=headers["editor"])
    assert ok.status_code == 200
    # The seed already holds the extended profile of every model without an original one, so
    # the file creates none and updates the models whose original profile it replaces.
    profiles = ok.json()["diff"]["profiles"]
    assert profiles["created"] == []
    assert profiles["updated"]
    assert any("speedTier" in w for w in ok.json()["warnings"])
