"""The HTTP faces: who may ingest and read, and what the answers look like."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.analytics.conftest import EVENTS

WINDOW = "since=2026-03-01&until=2026-03-03"


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("viewer", 403), ("ingest", 200), ("editor", 200), ("admin", 200)],
)
def test_ingest_needs_an_ingest_token_or_stronger(
    client: TestClient, tokens: dict[str, dict[str, str]], role: str, status: int
) -> None:
    response = client.post("/api/v1/usage", json={"events": EVENTS[:2]}, headers=tokens[role])
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json() == {"accepted": 2, "duplicates": 0, "costUsd": "0.02275"}


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("ingest", 403), ("viewer", 200), ("admin", 200)]
)
def test_analytics_reads_need_a_viewer_or_stronger(
    client: TestClient, tokens: dict[str, dict[str, str]], role: str, status: int
) -> None:
    for path in ("summary", "top-models", "daily", "breakdown", "latency", "router"):
        response = client.get(f"/api/v1/analytics/{path}?days=7", headers=tokens[role])
        assert response.status_code == status, (path, response.text)


def test_one_event_needs_no_batch(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    response = client.post("/api/v1/usage", json=EVENTS[2], headers=tokens["ingest"])
    assert response.json() == {"accepted": 1, "duplicates": 0, "costUsd": "0.0002"}
    bad = client.post(
        "/api/v1/usage", json={**EVENTS[2], "modelId": "nope:x"}, headers=tokens["ingest"]
    )
    assert [e["path"] for e in bad.json()["errors"]] == ["modelId"]


def test_a_bad_batch_is_a_problem_naming_index_and_field(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    events = [*EVENTS[:3], {**EVENTS[0], "inputTokens": -1}]
    response = client.post("/api/v1/usage", json={"events": events}, headers=tokens["ingest"])
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["path"] for e in response.json()["errors"]] == ["events[3].inputTokens"]
    summary = client.get(f"/api/v1/analytics/summary?{WINDOW}", headers=tokens["viewer"])
    assert summary.json()["totals"]["requests"] == 0


def test_ingested_usage_reads_back_through_the_analytics_endpoints(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    sent = client.post("/api/v1/usage", json={"events": EVENTS}, headers=tokens["ingest"])
    assert sent.json() == {"accepted": 6, "duplicates": 0, "costUsd": "0.028185"}
    viewer = tokens["viewer"]

    top = client.get(f"/api/v1/analytics/top-models?{WINDOW}&by=cost&limit=2", headers=viewer)
    assert [(r["model"], r["costUsd"]) for r in top.json()["data"]] == [
        ("openai:gpt-5", "0.022875"),
        ("google:gemini-2.5-flash", "0.00371"),
    ]
    daily = client.get(f"/api/v1/analytics/daily?{WINDOW}&feature=chat", headers=viewer).json()
    assert daily["filters"] == {"feature": "chat"}
    assert [(d["day"], d["requests"]) for d in daily["data"]] == [
        ("2026-03-01", 2),
        ("2026-03-02", 1),
        ("2026-03-03", 1),
    ]
    latency = client.get(f"/api/v1/analytics/latency?{WINDOW}", headers=viewer).json()
    assert latency["data"][1] == {
        "model": "anthropic:claude-haiku-4.5",
        "requests": 2,
        "errors": 1,
        "errorRate": 0.5,
        "meanMs": 350.0,
        "p50Ms": 316,
        "p90Ms": 501,
        "p95Ms": 501,
        "p99Ms": 501,
    }
    by_provider = client.get(f"/api/v1/analytics/breakdown?{WINDOW}&by=provider", headers=viewer)
    assert [r["provider"] for r in by_provider.json()["data"]] == ["openai", "anthropic", "google"]


def test_a_bad_window_is_a_problem(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    response = client.get(
        "/api/v1/analytics/daily?since=2026-03-05&until=2026-03-01", headers=tokens["viewer"]
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "since"
    response = client.get("/api/v1/analytics/top-models?by=vibes", headers=tokens["viewer"])
    assert response.status_code == 422


def test_a_repeated_event_id_in_one_batch_is_a_422_naming_both_indexes(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    events = [{**e, "eventId": f"e-{i}"} for i, e in enumerate(EVENTS[:3])]
    events[2]["eventId"] = "e-0"
    response = client.post("/api/v1/usage", json={"events": events}, headers=tokens["ingest"])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"path": "events[2].eventId", "message": "repeats the eventId of events[0]"}
    ]
    summary = client.get(f"/api/v1/analytics/summary?{WINDOW}", headers=tokens["viewer"])
    assert summary.json()["totals"]["requests"] == 0


def test_a_batch_sent_twice_is_answered_as_duplicates_and_counted_once(
    client: TestClient, tokens: dict[str, dict[str, str]]
) -> None:
    events = [{**e, "eventId": f"e-{i}"} for i, e in enumerate(EVENTS)]
    for expected in (
        {"accepted": 6, "duplicates": 0, "costUsd": "0.028185"},
        {"accepted": 0, "duplicates": 6, "costUsd": "0"},
    ):
        sent = client.post("/api/v1/usage", json={"events": events}, headers=tokens["ingest"])
        assert sent.json() == expected
    summary = client.get(f"/api/v1/analytics/summary?{WINDOW}", headers=tokens["viewer"])
    assert summary.json()["totals"]["requests"] == 6
