"""Lifecycle dates: the JSON fields, the Deprecation and Sunset headers, and the router
never choosing a model past its sunset, switching at that instant with no write."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.domain.lifecycle import SunsetSchedule
from modelplane.domain.models import ModelSpec
from modelplane.services import models as model_svc
from modelplane.services.tokens import TokenSpec, create_token

M = "openai:gpt-5"


def _set(runtime: Runtime, model_id: str, **fields: str | None) -> None:
    model_svc.update_model(runtime.unit_of_work, model_id, fields, "tester", None)


def test_headers_and_fields_for_a_model_with_dates(client: TestClient, runtime: Runtime) -> None:
    _set(
        runtime,
        M,
        deprecationDate="2027-01-14T00:00:00Z",
        sunsetDate="2027-06-30T12:00:00Z",
        successorId="openai:gpt-5.1",
    )
    answer = client.get(f"/api/v1/models/{M}")
    assert answer.headers["Deprecation"] == "@1799884800"
    assert answer.headers["Sunset"] == "Wed, 30 Jun 2027 12:00:00 GMT"
    assert answer.json()["sunsetDate"] == "2027-06-30T12:00:00Z"
    openai = client.get(f"/v1/models/{M}")
    assert openai.headers["Deprecation"] == "@1799884800"
    assert openai.json()["successorId"] == "openai:gpt-5.1"
    plain = client.get("/api/v1/models/openai:gpt-5-mini")
    assert "Deprecation" not in plain.headers and "Sunset" not in plain.headers


def _routed(client: TestClient, token: str) -> str:
    answer = client.post(
        "/api/v1/route",
        json={"text": "write a haiku about the sea", "seed": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    chosen: str = answer.json()["selectedModelId"]
    return chosen


def test_the_router_stops_choosing_a_model_at_its_sunset(
    client: TestClient, runtime: Runtime
) -> None:
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="t", role="viewer"), "test")
        uow.commit()
    first = _routed(client, token)
    soon = datetime.now(UTC) + timedelta(seconds=2)
    _set(runtime, first, sunsetDate=soon.isoformat())
    assert _routed(client, token) == first, "before its sunset the model is still chosen"
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    after = _routed(client, token)
    assert after != first


def test_the_schedule_answers_without_a_scan_while_nothing_is_due() -> None:
    def spec(model_id: str, sunset: datetime | None) -> ModelSpec:
        return ModelSpec.model_validate(
            {
                "id": model_id,
                "provider": "p",
                "name": model_id,
                "contextWindow": 1000,
                "pricing": {"input": 1, "output": 1},
                "sunsetDate": sunset,
            }
        )

    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    schedule = SunsetSchedule(
        [spec("p:a", t0 + timedelta(days=2)), spec("p:b", t0), spec("p:c", None)]
    )
    assert schedule.past(t0 - timedelta(seconds=1)) == ()
    assert schedule.past(t0) == ("p:b",)
    assert schedule.past(t0 + timedelta(days=3)) == ("p:b", "p:a")
