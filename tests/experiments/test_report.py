"""The experiment report measures what the traffic did: usage and feedback joined to each
decision's arm, with always-valid intervals and a verdict per metric."""

from __future__ import annotations

import random
from typing import Any

from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.domain.flags import UserContext
from modelplane.router import RouteRequest
from modelplane.services.experiments import create_experiment, end_experiment, experiment_report
from modelplane.services.router_data import get_router_config, router_config_history
from modelplane.services.routing import route
from modelplane.services.usage import record_usage
from modelplane.store.static import read_json

CODING = {"primaryCategory": "coding", "complexity": "moderate"}


def start(live: Runtime, name: str = "costs") -> None:
    config = read_json("router-defaults.json")
    retried = {**config, "routerSettings": {**config["routerSettings"], "maxRetries": 2}}
    spec = {
        "name": name,
        "variants": [
            {"name": "a", "weight": 50, "config": retried},
            {"name": "b", "weight": 50, "config": config},
        ],
    }
    create_experiment(live.unit_of_work, spec, "ops")


def simulate(live: Runtime, requests: int, cost_lift: float, error_lift: float) -> None:
    """Route ``requests`` users through the experiment; report usage for each decision,
    arm b's tokens ``cost_lift`` more and its failures ``error_lift`` more likely."""
    rng = random.Random(2026)
    events: list[dict[str, Any]] = []
    for i in range(requests):
        decision = route(
            live,
            RouteRequest.model_validate({"classification": CODING, "seed": i}),
            context=UserContext(f"user-{i}"),
        )
        lift = decision.variant == "b"
        tokens = rng.gauss(10_000, 2_000) * (1 + cost_lift if lift else 1)
        failed = rng.random() < 0.05 + (error_lift if lift else 0)
        events.append(
            {
                "modelId": "openai:gpt-5-mini",
                "feature": "chat",
                "inputTokens": max(0, round(tokens)),
                "latencyMs": round(rng.lognormvariate(6, 0.4)),
                "success": not failed,
                "decisionId": decision.decision_id,
            }
        )
    live.decisions.flush()
    for start_at in range(0, len(events), 1000):
        record_usage(live.unit_of_work, live.reader, {"events": events[start_at : start_at + 1000]})


def test_a_decision_id_sent_back_shows_up_in_its_arms_figures(
    live: Runtime, api: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    start(live)
    answer = api.post(
        "/api/v1/route",
        json={"classification": CODING},
        headers={**headers["viewer"], "X-Modelplane-User": "someone"},
    ).json()
    arm, other = answer["variant"], {"a": "b", "b": "a"}[answer["variant"]]
    live.decisions.flush()
    usage = {
        "modelId": "openai:gpt-5-mini",
        "feature": "chat",
        "inputTokens": 1_000_000,
        "latencyMs": 420,
        "success": False,
        "error": "timeout",
        "decisionId": answer["decisionId"],
    }
    assert api.post("/api/v1/usage", json=usage, headers=headers["ingest"]).status_code == 200
    feedback = {"decisionId": answer["decisionId"], "signal": "rating", "value": 5}
    assert api.post("/api/v1/feedback", json=feedback, headers=headers["ingest"]).status_code == 200

    report = api.get("/api/v1/experiments/costs/report", headers=headers["viewer"]).json()
    figures = report["arms"][arm]
    assert figures["requests"] == 1
    assert figures["cost_per_request"]["value"] == 0.15  # 1M input tokens at $0.15 per 1M
    assert figures["latency_p50"]["value"] == 420
    assert figures["error_rate"]["value"] == 1.0
    assert figures["feedback"]["value"] == 1.0
    assert report["arms"][other]["requests"] == 0
    assert report["arms"][other]["cost_per_request"]["value"] is None
    assert report["verdicts"] == dict.fromkeys(
        ("cost_per_request", "error_rate", "latency_p95", "feedback")
    )
    assert report["summary"].startswith("keep running: about ")
    assert "mSPRT" in report["method"]
    missing = api.get("/api/v1/experiments/nope/report", headers=headers["viewer"])
    assert missing.status_code == 404


def test_b_costing_10_percent_more_and_erring_5_points_more_loses_on_both(
    live: Runtime,
) -> None:
    start(live)
    simulate(live, 4000, cost_lift=0.10, error_lift=0.05)
    report = experiment_report(live.unit_of_work, "costs")
    assert report["verdicts"]["cost_per_request"] == "a"
    assert report["verdicts"]["error_rate"] == "a"
    a, b = report["arms"]["a"], report["arms"]["b"]
    assert a["requests"] + b["requests"] == 4000
    for metric in ("cost_per_request", "error_rate"):
        low, high = a[metric]["interval"]
        assert low < a[metric]["value"] < high
        assert a[metric]["value"] < b[metric]["value"]
    cost = report["comparisons"]["cost_per_request"]["against"]["b"]
    assert 0.05 < cost["relative"] < 0.15 and cost["significant"]
    assert report["summary"].startswith("a is better on cost by ")
    assert "and on error rate by " in report["summary"]
    assert report["srm"]["pValue"] > 0.001 and report["srm"]["warning"] is None

    config = end_experiment(live.unit_of_work, "costs", "ops", "a")
    assert config is not None
    history = get_router_config(live.unit_of_work)
    assert history.version == config.version
    latest = router_config_history(live.unit_of_work, 0, 1)[0][0]
    assert "verdict: a is better on cost" in (latest.reason or "")


def test_on_a_a_traffic_there_is_no_winner(live: Runtime) -> None:
    start(live, "same")
    simulate(live, 2000, cost_lift=0.0, error_lift=0.0)
    report = experiment_report(live.unit_of_work, "same")
    assert set(report["verdicts"].values()) == {None}
    assert report["summary"].startswith("keep running: about ")
