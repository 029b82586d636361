"""Prices with dates through the API: schedule, ask for any moment, see the timeline, and
usage priced at the price of its own time."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.domain.clock import utcnow
from modelplane.services import prices, usage

MODEL = "openai:gpt-5"
EXTRA = {"feature": "chat", "latencyMs": 100}


def exact(response: Any) -> Any:
    return json.loads(response.text, parse_float=Decimal)


def test_a_scheduled_price_waits_for_its_time(client: TestClient, editor: dict[str, str]) -> None:
    now = exact(client.get(f"/api/v1/models/{MODEL}"))
    scheduled = client.post(
        f"/api/v1/models/{MODEL}/prices",
        json={"pricing": {"input": 3}, "effectiveFrom": "2027-01-01T00:00:00Z", "reason": "list"},
        headers=editor,
    )
    assert scheduled.status_code == 201, scheduled.text
    assert [e["state"] for e in scheduled.json()["timeline"]] == ["current", "scheduled"]

    after = exact(client.get(f"/api/v1/models/{MODEL}"))
    assert after["pricing"] == now["pricing"]  # not yet
    assert after["version"] == now["version"]

    then = exact(client.get(f"/api/v1/models/{MODEL}/price", params={"at": "2027-03-01T00:00:00Z"}))
    assert then["pricing"]["input"] == 3
    assert then["pricing"]["output"] == now["pricing"]["output"]  # merged over the old price
    assert then["effectiveFrom"] == "2027-01-01T00:00:00Z"
    before = exact(
        client.get(f"/api/v1/models/{MODEL}/price", params={"at": "2026-12-31T23:59:59Z"})
    )
    assert before["pricing"] == now["pricing"]

    timeline = client.get(f"/api/v1/models/{MODEL}/prices").json()
    assert [e["effectiveFrom"] for e in timeline["data"]] == [
        "1970-01-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    ]
    assert timeline["data"][1]["reason"] == "list"


def test_patch_with_effective_from_schedules_and_refuses_other_fields(
    client: TestClient, editor: dict[str, str]
) -> None:
    etag = client.get(f"/api/v1/models/{MODEL}").headers["ETag"]
    sent = {"pricing": {"output": 99}, "effectiveFrom": "2030-05-01T12:00:00+02:00"}
    ok = client.patch(f"/api/v1/models/{MODEL}", json=sent, headers={**editor, "If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["effectiveFrom"] == "2030-05-01T10:00:00Z"

    mixed = {"pricing": {"output": 1}, "name": "x", "effectiveFrom": "2030-01-01T00:00:00Z"}
    bad = client.patch(f"/api/v1/models/{MODEL}", json=mixed, headers={**editor, "If-Match": etag})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "name"

    for when, problem in (("2030-01-01", "time zone"), ("soon", "not an ISO 8601 time")):
        wrong = client.post(
            f"/api/v1/models/{MODEL}/prices",
            json={"pricing": {"input": 1}, "effectiveFrom": when},
            headers=editor,
        )
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["path"] == "effectiveFrom"
        assert problem in wrong.text
    negative = client.post(
        f"/api/v1/models/{MODEL}/prices",
        json={"pricing": {"input": -1}, "effectiveFrom": "2030-01-01T00:00:00Z"},
        headers=editor,
    )
    assert negative.status_code == 422
    assert negative.json()["errors"][0]["path"] == "pricing.input"
    assert client.get(f"/api/v1/models/{MODEL}/prices").json()["count"] == 2  # nothing else


def test_an_undated_edit_dates_itself_and_usage_is_priced_at_its_own_time(
    client: TestClient, editor: dict[str, str], runtime: Runtime
) -> None:
    old = exact(client.get(f"/api/v1/models/{MODEL}"))["pricing"]
    etag = client.get(f"/api/v1/models/{MODEL}").headers["ETag"]
    edited = client.patch(
        f"/api/v1/models/{MODEL}",
        json={"pricing": {"input": 100, "output": 100}},
        headers={**editor, "If-Match": etag},
    )
    assert edited.status_code == 200, edited.text
    yesterday = (utcnow() - timedelta(days=1)).isoformat()
    then = exact(client.get(f"/api/v1/models/{MODEL}/price", params={"at": yesterday}))
    assert then["pricing"] == old
    assert [e["state"] for e in client.get(f"/api/v1/models/{MODEL}/prices").json()["data"]] == [
        "past",
        "current",
    ]

    body = [
        {"modelId": MODEL, "inputTokens": 1_000_000, "outputTokens": 0, "at": yesterday, **EXTRA},
        {"modelId": MODEL, "inputTokens": 1_000_000, "outputTokens": 0, **EXTRA},
    ]
    result = usage.record_usage(runtime.unit_of_work, runtime.reader, {"events": body})
    assert result.cost == old["input"] + 100  # the backfill at yesterday's price


def test_a_price_scheduled_in_the_past_prices_what_happened_since(runtime: Runtime) -> None:
    start = utcnow() - timedelta(hours=1)
    model = prices.schedule_price(
        runtime.unit_of_work, MODEL, {"input": "7"}, start, "test", "backdated"
    )
    assert model.pricing.input == Decimal(7)  # in force already
    assert model.pricing_at(start - timedelta(seconds=1)).input != Decimal(7)
