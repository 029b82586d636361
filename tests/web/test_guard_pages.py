"""The console's guardrails and schedule form, the guard's banner, and the experiment
page's outcomes and verdicts."""

from __future__ import annotations

import json
from typing import Any

from modelplane.bootstrap import Runtime
from modelplane.domain.clock import utcnow
from modelplane.services.experiments import create_experiment
from modelplane.services.flags import get_flag, set_flag
from modelplane.store.guard_repository import GuardRepository
from modelplane.store.static import read_json

RAIL = {"metric": "error_rate", "comparison": "plus", "threshold": 0.02, "minSample": 100}


def test_guardrails_and_a_schedule_are_saved_paused_and_refused_when_bad(
    as_role: Any, runtime: Runtime
) -> None:
    set_flag(runtime.unit_of_work, "models_source", {"percentage": 10}, "ops")
    console = as_role("editor")
    console.get("/admin/rollout")
    answer = console.post(
        "/admin/rollout/flags/models_source/guard",
        {
            "guardrails": json.dumps([RAIL]),
            "steps": "10,50,100",
            "dwellSeconds": "600",
            "reason": "safe rollout",
            "action": "save",
        },
    )
    assert answer.status_code == 200, answer.text
    flag = get_flag(runtime.unit_of_work, "models_source")
    assert flag.guardrails is not None and flag.guardrails[0].min_sample == 100
    assert flag.schedule is not None and flag.schedule.steps == [10, 50, 100]
    assert "running" in answer.text and "Pause schedule" in answer.text

    paused = console.post("/admin/rollout/flags/models_source/guard", {"action": "pause"})
    assert "schedule paused" in paused.text
    assert get_flag(runtime.unit_of_work, "models_source").schedule.paused  # type: ignore[union-attr]

    bad = console.post(
        "/admin/rollout/flags/models_source/guard",
        {
            "guardrails": json.dumps([{"metric": "speed", "comparison": "plus", "threshold": 1}]),
            "action": "save",
        },
    )
    assert bad.status_code == 422
    assert "unknown metric" in bad.text and "guardrails[0].minSample" in bad.text


def test_a_rollback_raises_a_banner_and_the_experiment_page_shows_verdicts(
    as_role: Any, runtime: Runtime
) -> None:
    with runtime.unit_of_work() as uow:
        GuardRepository(uow.connection).add_event(
            utcnow(),
            "flag",
            "models_source",
            "rolled_back",
            {"reason": "guard: rolled back from 10% to 0% on a guardrail breach"},
        )
        uow.commit()
    console = as_role("viewer")
    page = console.get("/admin/rollout")
    assert "data-guard-alerts" in page.text
    assert "rolled back from 10% to 0%" in page.text

    config = read_json("router-defaults.json")
    create_experiment(
        runtime.unit_of_work,
        {
            "name": "e1",
            "variants": [
                {"name": "a", "weight": 50, "config": config},
                {"name": "b", "weight": 50, "config": config},
            ],
        },
        "ops",
    )
    experiment = console.get("/admin/experiments/e1")
    assert experiment.status_code == 200
    assert "keep running: about" in experiment.text
    assert 'data-verdict="cost_per_request"' in experiment.text
    assert 'data-arm="a"' in experiment.text and "mSPRT" in experiment.text
