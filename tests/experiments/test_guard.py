"""The guard rolls back a breaching rollout, walks a schedule forward while it holds, ends a
breaching experiment, and runs in one process at a time."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.clock import utcnow
from modelplane.domain.flags import ROUTER_CONFIG_SOURCE, UserContext, evaluate
from modelplane.router import RouteRequest
from modelplane.services.flags import flag_history_page, get_flag, set_flag
from modelplane.services.guard import (
    pause_schedule,
    run_guard,
    set_flag_guardrails,
    set_flag_schedule,
    take_lease,
)
from modelplane.services.routing import route
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.services.usage import record_usage
from modelplane.settings import Settings
from tests.support import wait_until

CODING = {"primaryCategory": "coding", "complexity": "moderate"}
ERROR_GUARD = {"metric": "error_rate", "comparison": "plus", "threshold": 0.02, "minSample": 20}


def traffic(live: Runtime, users: range, enrolled_failure: float, seed: int = 1) -> int:
    """Route one request per user, then report usage: enrolled users' generations fail
    with probability ``enrolled_failure``, the rest never. Returns how many were enrolled."""
    flag = get_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE)
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    enrolled = 0
    for i in users:
        user = UserContext(f"user-{i}")
        decision = route(
            live, RouteRequest.model_validate({"classification": CODING, "seed": i}), context=user
        )
        inside = evaluate(flag, user).enabled
        enrolled += inside
        failed = inside and rng.random() < enrolled_failure
        events.append(
            {
                "modelId": "openai:gpt-5-mini",
                "feature": "chat",
                "inputTokens": 1000,
                "latencyMs": 200,
                "success": not failed,
                "decisionId": decision.decision_id,
            }
        )
    live.decisions.flush()
    record_usage(live.unit_of_work, live.reader, {"events": events})
    return enrolled


@pytest.fixture
def guarded(
    seeded: Engine, database_url: str
) -> Iterator[tuple[Runtime, TestClient, dict[str, str]]]:
    settings = Settings(database_url=database_url, environment="test", guard_interval_seconds=0.5)
    rt = Runtime(settings, live_reads=True)
    with rt.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="ops", role="admin"), "test")
        uow.commit()
    with TestClient(create_app(rt)) as client:
        yield rt, client, {"Authorization": f"Bearer {token}"}
    rt.close()


def test_a_flag_at_10_percent_is_rolled_back_to_0_by_the_servers_guard_within_60s(
    guarded: tuple[Runtime, TestClient, dict[str, str]],
) -> None:
    live, api, admin = guarded
    set_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE, {"enabled": True, "percentage": 10}, "ops")
    answer = api.put(
        f"/api/v1/flags/{ROUTER_CONFIG_SOURCE}/guardrails",
        json={"guardrails": [ERROR_GUARD], "reason": "watch errors"},
        headers=admin,
    )
    assert answer.status_code == 200, answer.text
    live.live.refresh()

    enrolled = traffic(live, range(600), enrolled_failure=0.5)
    errors_landed = time.monotonic()
    assert enrolled >= 30
    wait_until(
        lambda: get_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE).percentage == 0, timeout=60
    )
    delay = time.monotonic() - errors_landed
    assert delay < 60

    latest = flag_history_page(live.unit_of_work, ROUTER_CONFIG_SOURCE, 0, 1)[0]
    assert latest.author == "guard"
    assert latest.reason is not None
    assert latest.reason.startswith("guard: rolled back from 10% to 0%")
    assert "error_rate ≤ control + 0.02: breached" in latest.reason
    events = api.get("/api/v1/guard/events", headers=admin).json()["data"]
    assert events[0]["action"] == "rolled_back" and events[0]["name"] == ROUTER_CONFIG_SOURCE


def test_guardrails_with_an_unknown_metric_or_no_minimum_sample_are_refused(
    guarded: tuple[Runtime, TestClient, dict[str, str]],
) -> None:
    live, api, admin = guarded
    bad = [
        {"metric": "error_rat", "comparison": "plus", "threshold": 0.02, "minSample": 10},
        {"metric": "latency_p95", "comparison": "times", "threshold": 1.2},
    ]
    answer = api.put(
        f"/api/v1/flags/{ROUTER_CONFIG_SOURCE}/guardrails", json={"guardrails": bad}, headers=admin
    )
    assert answer.status_code == 422
    errors = {e["path"]: e["message"] for e in answer.json()["errors"]}
    assert "unknown metric 'error_rat'" in errors["guardrails[0].metric"]
    assert "guardrails[1].minSample" in errors
    missing = api.put("/api/v1/flags/nope/guardrails", json={"guardrails": []}, headers=admin)
    assert missing.status_code == 404
    assert get_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE).guardrails is None


def test_a_schedule_advances_while_guardrails_hold_pauses_and_steps_back_on_a_breach(
    live: Runtime,
) -> None:
    set_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE, {"enabled": True, "percentage": 0}, "ops")
    set_flag_guardrails(live.unit_of_work, ROUTER_CONFIG_SOURCE, [ERROR_GUARD], "ops")
    set_flag_schedule(
        live.unit_of_work,
        ROUTER_CONFIG_SOURCE,
        {"steps": [10, 50, 100], "dwellSeconds": 60},
        "ops",
    )
    assert run_guard(live.unit_of_work) == []  # not dwelt yet
    later = utcnow() + timedelta(seconds=61)
    [first] = run_guard(live.unit_of_work, later)
    assert (first.action, get_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE).percentage) == (
        "advanced",
        10,
    )
    live.live.refresh()
    traffic(live, range(400), enrolled_failure=0.0)
    assert run_guard(live.unit_of_work) == []  # holding, but not dwelt at 10% yet
    [second] = run_guard(live.unit_of_work, utcnow() + timedelta(seconds=61))
    assert second.action == "advanced" and "holding" in second.reason
    assert get_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE).percentage == 50

    pause_schedule(live.unit_of_work, ROUTER_CONFIG_SOURCE, True, "ops")
    live.live.refresh()
    traffic(live, range(1000, 1300), enrolled_failure=0.6, seed=2)
    [back] = run_guard(live.unit_of_work, utcnow() + timedelta(seconds=61))
    assert back.action == "rolled_back"
    flag = get_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE)
    assert flag.percentage == 10 and flag.schedule is not None and flag.schedule.paused


def test_one_leader_at_a_time(live: Runtime) -> None:
    now = utcnow()
    assert take_lease(live.unit_of_work, "a", 30, now)
    assert not take_lease(live.unit_of_work, "b", 30, now + timedelta(seconds=10))
    assert take_lease(live.unit_of_work, "a", 30, now + timedelta(seconds=10))
    assert take_lease(live.unit_of_work, "b", 30, now + timedelta(seconds=41))
    assert not take_lease(live.unit_of_work, "a", 30, now + timedelta(seconds=42))


def test_an_experiment_whose_variant_breaches_a_guardrail_is_discarded(live: Runtime) -> None:
    from modelplane.services.experiments import create_experiment, get_experiment
    from modelplane.services.guard import guard_events, set_experiment_guardrails
    from modelplane.store.static import read_json

    config = read_json("router-defaults.json")
    spec = {
        "name": "risky",
        "variants": [
            {"name": "control", "weight": 50, "config": config},
            {"name": "candidate", "weight": 50, "config": config},
        ],
    }
    create_experiment(live.unit_of_work, spec, "ops")
    set_experiment_guardrails(live.unit_of_work, "risky", [ERROR_GUARD], "ops")
    live.live.refresh()
    events = []
    for i in range(200):
        decision = route(
            live,
            RouteRequest.model_validate({"classification": CODING, "seed": i}),
            context=UserContext(f"user-{i}"),
        )
        events.append(
            {
                "modelId": "openai:gpt-5-mini",
                "feature": "chat",
                "latencyMs": 100,
                "success": decision.variant != "candidate" or i % 2 == 0,
                "decisionId": decision.decision_id,
            }
        )
    live.decisions.flush()
    record_usage(live.unit_of_work, live.reader, {"events": events})
    [action] = run_guard(live.unit_of_work)
    assert action.action == "discarded" and "breached" in action.reason
    ended = get_experiment(live.unit_of_work, "risky")
    assert ended.status == "ended" and ended.outcome == "discarded"
    assert guard_events(live.unit_of_work)[0]["name"] == "risky"
