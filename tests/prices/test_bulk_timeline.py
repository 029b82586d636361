"""Price timelines in the bulk export and import: carried whole, recorded in the import's
transaction, identical entries left alone, entries the file lacks kept."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from tests.conftest import ThrowawayDatabases

MODEL = "openai:gpt-5"
PAST = "2025-01-01T00:00:00Z"
FUTURE = "2030-01-01T00:00:00Z"
MOMENTS = ("1999-06-01T00:00:00Z", "2025-06-01T00:00:00Z", "2031-01-01T00:00:00Z")
TIERED = {"input": 4, "tiers": [{"aboveInputTokens": 200000, "input": 8, "output": 30}]}


def exact(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


def schedule(client: TestClient, headers: dict[str, str], pricing: Any, when: str) -> None:
    body = {"pricing": pricing, "effectiveFrom": when, "reason": "list price"}
    response = client.post(f"/api/v1/models/{MODEL}/prices", json=body, headers=headers)
    assert response.status_code == 201, response.text


def export(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    document: dict[str, Any] = exact(client.get("/api/v1/export", headers=headers))
    return document


def send(client: TestClient, headers: dict[str, str], document: Any, dry: bool = False) -> Any:
    url = "/api/v1/import?dryRun=true" if dry else "/api/v1/import"
    body = json.dumps(document, default=str)
    return client.post(url, content=body, headers={**headers, "content-type": "application/json"})


def prices_at(client: TestClient) -> list[Any]:
    return [
        exact(client.get(f"/api/v1/models/{MODEL}/price", params={"at": at}))["pricing"]
        for at in MOMENTS
    ]


def starts(client: TestClient) -> list[str]:
    timeline = exact(client.get(f"/api/v1/models/{MODEL}/prices"))["data"]
    return [e["effectiveFrom"] for e in timeline]


@pytest.fixture
def dated(client: TestClient, editor: dict[str, str]) -> None:
    """Database A: the model has a past price and a future one with long-context tiers."""
    schedule(client, editor, {"input": 2}, PAST)
    schedule(client, editor, TIERED, FUTURE)


@pytest.fixture
def empty_b(backend: str, databases: ThrowawayDatabases) -> Iterator[tuple[TestClient, Any]]:
    """Database B: migrated and empty (no seed), with an editor's token."""
    from modelplane.api.app import create_app
    from modelplane.services.tokens import TokenSpec, create_token
    from modelplane.settings import Settings
    from modelplane.store import migrate
    from modelplane.store.database import create_db_engine

    url = databases.create(backend)
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    runtime = Runtime(Settings(database_url=url, environment="test"))
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="b-editor", role="editor"), "test")
        uow.commit()
    try:
        with TestClient(create_app(runtime)) as client:
            yield client, {"Authorization": f"Bearer {token}"}
    finally:
        runtime.close()


def _model(document: dict[str, Any], model_id: str = MODEL) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in document["models"] if m["id"] == model_id)
    return found


def test_the_export_lists_the_timeline_only_for_models_with_dated_prices(
    client: TestClient, editor: dict[str, str], dated: None
) -> None:
    document = export(client, editor)
    timeline = _model(document)["priceTimeline"]
    assert [e["effectiveFrom"] for e in timeline] == ["1970-01-01T00:00:00Z", PAST, FUTURE]
    assert timeline[1]["pricing"]["input"] == 2
    assert timeline[2]["pricing"]["tiers"] == [
        {"aboveInputTokens": 200000, "input": 8, "output": 30}
    ]
    assert timeline[2]["pricing"]["output"] == timeline[1]["pricing"]["output"]
    undated = [m for m in document["models"] if m["id"] != MODEL]
    assert undated and all("priceTimeline" not in m for m in undated)


def test_a_timeline_round_trips_into_an_empty_database_and_a_second_import_changes_nothing(
    client: TestClient, editor: dict[str, str], dated: None, empty_b: tuple[TestClient, Any]
) -> None:
    b, b_editor = empty_b
    document = export(client, editor)
    first = send(b, b_editor, document)
    assert first.status_code == 200, first.text
    assert MODEL in first.json()["diff"]["models"]["created"]

    assert prices_at(b) == prices_at(client)
    assert prices_at(b)[2]["tiers"] == TIERED["tiers"]
    assert starts(b) == starts(client)

    again = send(b, b_editor, document)
    assert again.status_code == 200, again.text
    assert again.json()["changeCount"] == 0
    assert MODEL in again.json()["diff"]["models"]["unchanged"]
    assert not [w for w in again.json()["warnings"] if "priceTimeline" in w]
    assert prices_at(b) == prices_at(client)


def test_an_import_adds_what_the_target_lacks_and_keeps_what_the_file_leaves_out(
    client: TestClient, editor: dict[str, str], dated: None
) -> None:
    document = export(client, editor)
    timeline = _model(document)["priceTimeline"]
    added = {"effectiveFrom": "2032-01-01T00:00:00Z", "pricing": {"input": 1, "output": 5}}
    _model(document)["priceTimeline"] = [timeline[0], timeline[1], added]  # FUTURE left out

    dry = send(client, editor, document, dry=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert report["changeCount"] == 1
    [row] = report["diff"]["models"]["updated"]
    assert row["id"] == MODEL
    unsigned = {**added, "recordedBy": None, "reason": None}  # an entry from an older file
    assert row["changes"] == [{"field": "priceTimeline", "old": None, "new": [unsigned]}]
    [kept] = [w for w in report["warnings"] if "priceTimeline" in w]
    assert "kept 1 entry" in kept and FUTURE in kept and MODEL in kept

    version = exact(client.get(f"/api/v1/models/{MODEL}"))["version"]
    applied = send(client, editor, document)
    assert applied.status_code == 200, applied.text
    line = exact(client.get(f"/api/v1/models/{MODEL}/prices"))["data"]
    assert [e["effectiveFrom"] for e in line] == [
        "1970-01-01T00:00:00Z",
        PAST,
        FUTURE,
        "2032-01-01T00:00:00Z",
    ]
    at = {"at": "2033-01-01T00:00:00Z"}
    assert exact(client.get(f"/api/v1/models/{MODEL}/price", params=at))["pricing"] == {
        "input": 1,
        "output": 5,
    }
    # Only the timeline changed: the model's document keeps its version.
    assert exact(client.get(f"/api/v1/models/{MODEL}"))["version"] == version


def test_an_entry_with_another_price_for_the_same_moment_is_shown_and_replaced(
    client: TestClient, editor: dict[str, str], dated: None
) -> None:
    document = export(client, editor)
    timeline = _model(document)["priceTimeline"]
    old = dict(timeline[2])
    timeline[2] = {"effectiveFrom": FUTURE, "pricing": {"input": 7, "output": 9}}
    [row] = send(client, editor, document, dry=True).json()["diff"]["models"]["updated"]
    new = {**timeline[2], "recordedBy": None, "reason": None}
    assert row["changes"] == [{"field": "priceTimeline", "old": [old], "new": [new]}]
    assert send(client, editor, document).status_code == 200
    at = {"at": "2031-01-01T00:00:00Z"}
    assert exact(client.get(f"/api/v1/models/{MODEL}/price", params=at))["pricing"] == {
        "input": 7,
        "output": 9,
    }


def test_bad_entries_are_named_by_model_and_field_and_nothing_is_written(
    client: TestClient, editor: dict[str, str], dated: None
) -> None:
    document = export(client, editor)
    index = document["models"].index(_model(document))
    before = exact(client.get(f"/api/v1/models/{MODEL}/prices"))
    _model(document)["priceTimeline"] = [
        {"effectiveFrom": "next tuesday", "pricing": {"input": 1, "output": 1}},
        {"effectiveFrom": "2031-01-01T00:00:00Z", "pricing": {"input": -1, "output": 1}},
        {"effectiveFrom": "2032-01-01T00:00:00", "pricing": {"input": 1, "output": 1}},
    ]
    response = send(client, editor, document)
    assert response.status_code == 422, response.text
    errors = {e["path"]: e["message"] for e in response.json()["errors"]}
    prefix = f"models[{index}].priceTimeline"
    assert set(errors) == {
        f"{prefix}[0].effectiveFrom",
        f"{prefix}[1].pricing.input",
        f"{prefix}[2].effectiveFrom",
    }
    assert all(MODEL in message for message in errors.values())
    assert exact(client.get(f"/api/v1/models/{MODEL}/prices")) == before


def test_each_exported_entry_carries_its_reason_and_author_and_an_import_keeps_them(
    client: TestClient, editor: dict[str, str], dated: None, empty_b: tuple[TestClient, Any]
) -> None:
    document = export(client, editor)
    timeline = _model(document)["priceTimeline"]
    served = exact(client.get(f"/api/v1/models/{MODEL}/prices"))["data"]
    assert [(e["recordedBy"], e["reason"]) for e in timeline] == [
        (e["recordedBy"], e["reason"]) for e in served
    ]
    assert timeline[1]["reason"] == "list price" and timeline[2]["reason"] == "list price"
    assert timeline[1]["recordedBy"] == "editor-token"

    b, b_editor = empty_b
    assert send(b, b_editor, document).status_code == 200
    line = exact(b.get(f"/api/v1/models/{MODEL}/prices"))["data"]
    assert [(e["effectiveFrom"], e["recordedBy"], e["reason"]) for e in line] == [
        (e["effectiveFrom"], e["recordedBy"], e["reason"]) for e in timeline
    ]
    assert _model(export(b, b_editor))["priceTimeline"] == timeline


def test_an_entry_without_reason_and_author_still_imports_as_the_importers(
    client: TestClient, editor: dict[str, str], dated: None
) -> None:
    document = export(client, editor)
    old_style = {"effectiveFrom": "2033-01-01T00:00:00Z", "pricing": {"input": 3, "output": 4}}
    _model(document)["priceTimeline"].append(old_style)
    assert send(client, editor, document).status_code == 200
    line = exact(client.get(f"/api/v1/models/{MODEL}/prices"))["data"]
    assert line[-1]["effectiveFrom"] == old_style["effectiveFrom"]
    assert (line[-1]["recordedBy"], line[-1]["reason"]) == ("editor-token", None)


def test_a_bad_reason_or_author_is_named_by_its_field(
    client: TestClient, editor: dict[str, str], dated: None
) -> None:
    document = export(client, editor)
    index = document["models"].index(_model(document))
    timeline = _model(document)["priceTimeline"]
    timeline[1]["reason"] = "x" * 2001
    timeline[2]["recordedBy"] = "two\nlines"
    response = send(client, editor, document)
    assert response.status_code == 422, response.text
    paths = {e["path"] for e in response.json()["errors"]}
    prefix = f"models[{index}].priceTimeline"
    assert paths == {f"{prefix}[1].reason", f"{prefix}[2].recordedBy"}
