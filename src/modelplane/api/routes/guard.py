"""Flags' and experiments' guardrails, flags' progressive schedules, and the guard, under
/api/v1."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from modelplane.api.deps import Admin, Editor, RuntimeDep, Viewer
from modelplane.api.threads import DatabaseRoute
from modelplane.services import guard

router = APIRouter(prefix="/api/v1", tags=["rollout"], route_class=DatabaseRoute)


class GuardrailsBody(BaseModel):
    """A flag's or an experiment's guardrails (``null`` removes them), and a reason."""

    guardrails: list[dict[str, Any]] | None
    reason: str | None = None


class ScheduleBody(BaseModel):
    """A progressive schedule (no steps removes it), and a reason."""

    model_config = ConfigDict(populate_by_name=True)

    steps: list[int] | None = None
    dwell_seconds: int = Field(default=3600, alias="dwellSeconds")
    reason: str | None = None


class ReasonBody(BaseModel):
    """Optional: why, kept in the history."""

    reason: str | None = None


# Guardrails, schedules and the guard -------------------------------------------------------


@router.get(
    "/flags/{name}/guard",
    summary="How a flag's guardrails stand now",
    description="Each guardrail judged on the decisions since the flag's current step "
    "began: enrolled against the rest (`holding`, `breached` or `insufficient`).",
)
def flag_guard_status(runtime: RuntimeDep, _: Viewer, name: str) -> dict[str, Any]:
    return guard.flag_status(runtime.unit_of_work, name)


@router.put(
    "/flags/{name}/guardrails",
    summary="Set a flag's guardrails",
    description='`{"guardrails": [{metric, comparison, threshold?, minSample}], '
    '"reason"?}`: `comparison` is `plus` (treatment <= control + threshold), `times` '
    "(<= threshold x control), `not_worse` or `at_most` (<= threshold); `minSample` "
    "(requests per arm) is required. An unknown metric is refused. A versioned change.",
)
def put_flag_guardrails(
    runtime: RuntimeDep, who: Editor, name: str, body: GuardrailsBody
) -> dict[str, Any]:
    return guard.set_flag_guardrails(
        runtime.unit_of_work, name, body.guardrails, who.name, body.reason
    ).to_json()


@router.put(
    "/flags/{name}/schedule",
    summary="Give a flag a progressive schedule",
    description='`{"steps": [1, 10, 50, 100], "dwellSeconds": 3600, "reason"?}`: the guard '
    "advances the flag one step at a time, after the dwell and only while every guardrail "
    "holds with its minimum sample; a breach sets it back a step and pauses it.",
)
def put_flag_schedule(
    runtime: RuntimeDep, who: Editor, name: str, body: ScheduleBody
) -> dict[str, Any]:
    schedule = {"steps": body.steps, "dwellSeconds": body.dwell_seconds} if body.steps else None
    return guard.set_flag_schedule(
        runtime.unit_of_work, name, schedule, who.name, body.reason
    ).to_json()


@router.post("/flags/{name}/schedule/pause", summary="Pause a flag's schedule")
def pause_flag_schedule(
    runtime: RuntimeDep, who: Editor, name: str, body: Annotated[ReasonBody | None, Body()] = None
) -> dict[str, Any]:
    reason = body.reason if body else None
    return guard.pause_schedule(runtime.unit_of_work, name, True, who.name, reason).to_json()


@router.post("/flags/{name}/schedule/resume", summary="Resume a flag's schedule")
def resume_flag_schedule(
    runtime: RuntimeDep, who: Editor, name: str, body: Annotated[ReasonBody | None, Body()] = None
) -> dict[str, Any]:
    reason = body.reason if body else None
    return guard.pause_schedule(runtime.unit_of_work, name, False, who.name, reason).to_json()


@router.put(
    "/experiments/{name}/guardrails",
    summary="Set a running experiment's guardrails",
    description="As a flag's; each variant is compared with the first. A breach ends the "
    "experiment with discard.",
)
def put_experiment_guardrails(
    runtime: RuntimeDep, who: Editor, name: str, body: GuardrailsBody
) -> dict[str, Any]:
    return guard.set_experiment_guardrails(
        runtime.unit_of_work, name, body.guardrails, who.name
    ).to_json()


@router.post(
    "/guard/run",
    summary="Run the guard once",
    description="Checks every guarded flag and experiment now (as the server's loop does): "
    "rollbacks, advances and discards, each with its evidence.",
)
def run_guard(
    runtime: RuntimeDep, _: Admin, body: Annotated[ReasonBody | None, Body()] = None
) -> dict[str, Any]:
    actions = guard.run_guard(runtime.unit_of_work)
    return {"actions": [a.to_json() for a in actions], "count": len(actions)}


@router.get("/guard/events", summary="What the guard did, newest first")
def guard_events(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    events = guard.guard_events(runtime.unit_of_work)
    return {"data": events, "count": len(events)}
