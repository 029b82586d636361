"""Approval policies under /api/v1/approval-policies and change requests under
/api/v1/change-requests: open, comment, approve, reject, withdraw, rebase, apply (now or at
a time)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from modelplane.api import bodies
from modelplane.api.deps import Admin, Editor, RuntimeDep, Viewer
from modelplane.api.threads import DatabaseRoute
from modelplane.services import change_requests as svc
from modelplane.services import moments

router = APIRouter(tags=["change requests"], route_class=DatabaseRoute)
_P = "/api/v1/approval-policies"
_R = "/api/v1/change-requests"
Action = Annotated[bodies.ChangeRequestAction | None, Body()]


@router.get(_P, summary="Every kind's approval policy")
def list_policies(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    rows = svc.list_policies(runtime.unit_of_work)
    return {"data": rows, "count": len(rows)}


@router.put(f"{_P}/{{kind}}", summary="Set a kind's approval policy")
def set_policy(
    runtime: RuntimeDep,
    who: Admin,
    kind: str,
    body: Annotated[
        bodies.ApprovalPolicy,
        Body(openapi_examples={"one": {"value": {"approvers": 1, "role": "editor"}}}),
    ],
) -> dict[str, Any]:
    """`approvers` 0 lets writes of the kind apply directly. More approvers than users with
    the role is accepted, with a `warning`."""
    sent = body.as_sent()
    return svc.set_policy(
        runtime.unit_of_work, kind, sent.get("approvers"), sent.get("role", "editor"), who.name
    )


@router.get(_R, summary="Change requests, newest first")
def list_requests(
    runtime: RuntimeDep,
    _: Viewer,
    state: Annotated[str | None, Query(max_length=20, description="Only this state.")] = None,
) -> dict[str, Any]:
    return svc.list_requests(runtime.unit_of_work, state)


@router.post(_R, status_code=201, summary="Open a change request")
def create_request(
    runtime: RuntimeDep, who: Editor, body: Annotated[bodies.ChangeRequestCreate, Body()]
) -> dict[str, Any]:
    sent = body.as_sent()
    return svc.create_request(
        runtime.unit_of_work, sent.get("title"), sent.get("reason"), sent.get("changes"), who.name
    )


@router.post(f"{_R}/run-due", summary="Apply the scheduled requests whose time has come")
def run_due(runtime: RuntimeDep, who: Admin, body: Action = None) -> dict[str, Any]:
    """What every server does each second on its own (for cron: `modelplane changes
    run-due`). Each request is claimed once, however many processes look; so are the
    scheduled prices that took effect and the sunsets that passed, announced with it."""
    applied = svc.run_due(runtime.unit_of_work, who.name)
    priced, retired = moments.run_due(runtime.unit_of_work)
    return {
        "applied": applied,
        "count": len(applied),
        "pricesTookEffect": priced,
        "sunsetsPassed": retired,
    }


@router.get(f"{_R}/{{request_id}}", summary="One change request, its diff and its events")
def get_request(runtime: RuntimeDep, _: Viewer, request_id: int) -> dict[str, Any]:
    """Each change shows its diff field by field (current against proposed), whether it is
    `stale` (its document moved since `expectedVersion`), and every event: who, when, why."""
    return svc.get_request(runtime.unit_of_work, request_id)


@router.post(f"{_R}/{{request_id}}/comments", status_code=201, summary="Comment")
def comment(
    runtime: RuntimeDep,
    who: Viewer,
    request_id: int,
    body: Annotated[bodies.ChangeRequestComment, Body()],
) -> dict[str, Any]:
    return svc.comment(runtime.unit_of_work, request_id, body.as_sent().get("text"), who.name)


def _reason(body: bodies.ChangeRequestAction | None) -> Any:
    return body.as_sent().get("reason") if body is not None else None


@router.post(f"{_R}/{{request_id}}/approve", summary="Approve (not its author)")
def approve(
    runtime: RuntimeDep, who: Editor, request_id: int, body: Action = None
) -> dict[str, Any]:
    return svc.approve(runtime.unit_of_work, request_id, who.name, who.role, _reason(body))


@router.post(f"{_R}/{{request_id}}/reject", summary="Reject")
def reject(
    runtime: RuntimeDep, who: Editor, request_id: int, body: Action = None
) -> dict[str, Any]:
    return svc.reject(runtime.unit_of_work, request_id, who.name, _reason(body))


@router.post(f"{_R}/{{request_id}}/withdraw", summary="Withdraw (its author)")
def withdraw(
    runtime: RuntimeDep, who: Editor, request_id: int, body: Action = None
) -> dict[str, Any]:
    return svc.withdraw(runtime.unit_of_work, request_id, who.name, _reason(body))


@router.post(f"{_R}/{{request_id}}/rebase", summary="Move onto the current versions")
def rebase(
    runtime: RuntimeDep, who: Editor, request_id: int, body: Action = None
) -> dict[str, Any]:
    """Keeps the changes where no field changed since overlaps; an overlap is a 409 naming
    the fields."""
    return svc.rebase(runtime.unit_of_work, request_id, who.name, _reason(body))


@router.post(f"{_R}/{{request_id}}/apply", summary="Apply now, or schedule")
def apply(
    runtime: RuntimeDep,
    who: Editor,
    request_id: int,
    body: Annotated[bodies.ChangeRequestApply | None, Body()] = None,
) -> dict[str, Any]:
    """One transaction over every change; each history reason names the request. Not
    approved, stale or withdrawn: 409 naming why. `at` in the past: 422."""
    at = body.as_sent().get("at") if body is not None else None
    return svc.apply(runtime.unit_of_work, request_id, who.name, at)
