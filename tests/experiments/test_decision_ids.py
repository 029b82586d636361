"""Route answers carry a decision id; usage and feedback sent back with it are stored
against that decision, and feedback for an unknown decision is kept as orphaned."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from modelplane.bootstrap import Runtime
from modelplane.store import tables as t

CODING = {"classification": {"primaryCategory": "coding", "complexity": "moderate"}}


def route(api: TestClient, headers: dict[str, str], user: str) -> dict[str, Any]:
    response = api.post(
        "/api/v1/route", json=CODING, headers={**headers, "X-Modelplane-User": user}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_answer_has_its_own_decision_id_stored_in_the_log(
    live: Runtime, api: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    answers = [route(api, headers["viewer"], f"u{i}") for i in range(5)]
    ids = [a["decisionId"] for a in answers]
    assert len(set(ids)) == 5 and all(len(i) == 32 for i in ids)
    live.decisions.flush()
    with live.engine.connect() as conn:
        rows = conn.execute(
            select(t.routing_decisions.c.decision_id, t.routing_decisions.c.enrolled_flags)
        ).all()
    assert sorted(r.decision_id for r in rows) == sorted(ids)
    assert all(r.enrolled_flags == ",models_source,router_config_source," for r in rows)


def test_usage_and_feedback_carry_the_decision_id(
    live: Runtime, api: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    answer = route(api, headers["viewer"], "u1")
    decision_id = answer["decisionId"]
    live.decisions.flush()
    usage = {
        "modelId": answer["selectedModelId"],
        "feature": "chat",
        "inputTokens": 100,
        "latencyMs": 300,
        "decisionId": decision_id,
    }
    assert api.post("/api/v1/usage", json=usage, headers=headers["ingest"]).status_code == 200
    events = [
        {"eventId": "f1", "decisionId": decision_id, "signal": "thumbs", "value": -1},
        {"eventId": "f2", "decisionId": decision_id, "signal": "rating", "value": 4},
        {"eventId": "f3", "decisionId": "nosuchdecision", "signal": "judge", "value": 0.5},
    ]
    response = api.post("/api/v1/feedback", json=events, headers=headers["ingest"])
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 3, "duplicates": 0, "orphaned": 1}
    again = api.post("/api/v1/feedback", json={"events": events}, headers=headers["editor"])
    assert again.json() == {"accepted": 0, "duplicates": 3, "orphaned": 0}
    with live.engine.connect() as conn:
        stored = conn.execute(select(t.usage_events.c.decision_id)).scalars().all()
        scores = conn.execute(
            select(t.feedback_events.c.event_id, t.feedback_events.c.score).order_by(
                t.feedback_events.c.event_id
            )
        ).all()
    assert stored == [decision_id]
    assert [(r.event_id, r.score) for r in scores] == [("f1", 0.0), ("f2", 0.75), ("f3", 0.5)]


def test_feedback_out_of_range_is_refused_with_the_field_named(
    live: Runtime, api: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    events = [
        {"decisionId": "d1", "signal": "thumbs", "value": 1},
        {"decisionId": "d1", "signal": "rating", "value": 6},
        {"decisionId": "d1", "signal": "stars", "value": 1},
    ]
    response = api.post("/api/v1/feedback", json={"events": events}, headers=headers["ingest"])
    assert response.status_code == 422
    paths = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert "between 1 and 5" in paths["events[1].value"]
    assert "events[2].signal" in paths
    assert (
        api.post(
            "/api/v1/feedback",
            json={"decisionId": "d1", "signal": "judge", "value": 1.5},
            headers=headers["ingest"],
        ).json()["errors"][0]["path"]
        == "value"
    )
    with live.engine.connect() as conn:
        assert conn.execute(select(t.feedback_events)).all() == []
    viewer = api.post("/api/v1/feedback", json=events[:1], headers=headers["viewer"])
    assert viewer.status_code == 403
