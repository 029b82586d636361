"""Lifecycle dates: the JSON fields, the Deprecation and Sunset headers, and the router
never choosing a model past its sunset, switching at that instant with no write."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.domain.lifecycle import LIST_LINKS_MAX, SunsetSchedule, list_headers
from modelplane.domain.models import ModelSpec
from modelplane.services import models as model_svc
from modelplane.services.tokens import TokenSpec, create_token
from tests.support import ServerProcess

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


def _date_two_models(runtime: Runtime) -> None:
    _set(runtime, M, deprecationDate="2027-01-14T00:00:00Z", sunsetDate="2027-06-30T12:00:00Z")
    _set(runtime, "openai:gpt-5-mini", sunsetDate="2027-03-01T00:00:00Z")


def _assert_list_headers(headers: Mapping[str, str], base: str) -> None:
    assert headers["Deprecation"] == "@1799884800"  # the earliest deprecation listed
    assert headers["Sunset"] == "Mon, 01 Mar 2027 00:00:00 GMT"  # the earliest sunset
    assert headers["Link"] == (
        f'<{base}/{M}>; rel="deprecation sunset", <{base}/openai:gpt-5-mini>; rel="sunset"'
    )


def test_lists_announce_their_members_earliest_dates_and_link_them(
    client: TestClient, runtime: Runtime
) -> None:
    plain = client.get("/v1/models")
    assert "Deprecation" not in plain.headers and "Link" not in plain.headers
    _date_two_models(runtime)
    openai = client.get("/v1/models")
    _assert_list_headers(openai.headers, "/v1/models")
    item = next(m for m in openai.json()["data"] if m["id"] == "openai:gpt-5-mini")
    assert item["sunsetDate"] == "2027-03-01T00:00:00Z"
    _assert_list_headers(client.get("/api/v1/models").headers, "/api/v1/models")
    # A list narrowed to one model announces that model's own dates.
    one = client.get("/api/v1/models/search", params={"q": "gpt-5-mini"})
    assert [m["id"] for m in one.json()["data"]] == ["openai:gpt-5-mini"]
    assert "Deprecation" not in one.headers
    assert one.headers["Sunset"] == "Mon, 01 Mar 2027 00:00:00 GMT"
    assert one.headers["Link"] == '</api/v1/models/openai:gpt-5-mini>; rel="sunset"'
    others = client.get("/api/v1/models", params={"provider": "anthropic"})
    assert "Sunset" not in others.headers and "Link" not in others.headers


def test_lifecycle_headers_reach_a_served_process_list(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    _date_two_models(runtime)
    server = ServerProcess(database_url, tmp_path)
    try:
        _assert_list_headers(server.get("/v1/models").headers, "/v1/models")
        _assert_list_headers(server.get("/api/v1/models").headers, "/api/v1/models")
        one = server.get(f"/v1/models/{M}")
        assert one.headers["Sunset"] == "Wed, 30 Jun 2027 12:00:00 GMT"
    finally:
        server.stop()


def test_a_list_links_at_most_the_soonest_models() -> None:
    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    models = [
        ModelSpec.model_validate(
            {
                "id": f"p:m{i:02d}",
                "provider": "p",
                "name": f"m{i}",
                "contextWindow": 1000,
                "pricing": {"input": 1, "output": 1},
                "deprecationDate": t0 + timedelta(days=100 - i),
            }
        )
        for i in range(LIST_LINKS_MAX + 5)
    ]
    links = list_headers(models, "/v1/models")["Link"].split(", ")
    assert len(links) == LIST_LINKS_MAX
    assert links[0] == f'</v1/models/p:m{LIST_LINKS_MAX + 4:02d}>; rel="deprecation"'


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
