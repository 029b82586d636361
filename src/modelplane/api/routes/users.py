"""Console users under /api/v1/users (admin only): list, create, set role, disable,
enable, reset password. Passwords are never answered."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from modelplane.api import bodies
from modelplane.api.deps import Admin, RuntimeDep
from modelplane.api.threads import DatabaseRoute
from modelplane.domain.access import PasswordChange, UserSpec
from modelplane.domain.validation import validate, validate_reason
from modelplane.services import users as svc
from modelplane.services.users import user_json

router = APIRouter(prefix="/api/v1/users", tags=["users"], route_class=DatabaseRoute)


@router.get("", summary="Every console user")
def list_users(runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    users = svc.list_users(runtime.unit_of_work)
    return {"data": [user_json(u) for u in users], "count": len(users)}


@router.post("", status_code=201, summary="Create a console user")
def create_user(
    runtime: RuntimeDep,
    who: Admin,
    body: Annotated[
        bodies.UserCreate,
        Body(
            openapi_examples={
                "editor": {"value": {"username": "ana", "role": "editor", "password": "…"}}
            }
        ),
    ],
) -> dict[str, Any]:
    sent = body.as_sent()
    reason = validate_reason(sent.pop("reason", None))
    spec = validate(UserSpec, sent)
    hashing = runtime.settings.password_hashing
    return user_json(svc.create_user(runtime.unit_of_work, spec, who.name, reason, hashing=hashing))


@router.get("/{username}", summary="One console user")
def get_user(runtime: RuntimeDep, _: Admin, username: str) -> dict[str, Any]:
    return user_json(svc.get_user(runtime.unit_of_work, username))


@router.put("/{username}/role", summary="Change a user's role")
def set_role(
    runtime: RuntimeDep,
    who: Admin,
    username: str,
    body: Annotated[bodies.UserRoleChange, Body()],
) -> dict[str, Any]:
    """The last active admin cannot be demoted."""
    sent = body.as_sent()
    reason = validate_reason(sent.get("reason"))
    role = sent.get("role")
    user = svc.set_role(
        runtime.unit_of_work, username, role if isinstance(role, str) else "", who.name, reason
    )
    return user_json(user)


@router.post("/{username}/disable", summary="Disable a user; their sessions end")
def disable(
    runtime: RuntimeDep, who: Admin, username: str, body: Annotated[bodies.Reasoned, Body()]
) -> dict[str, Any]:
    reason = validate_reason(body.as_sent().get("reason"))
    return user_json(svc.set_disabled(runtime.unit_of_work, username, True, who.name, reason))


@router.post("/{username}/enable", summary="Enable a disabled user again")
def enable(
    runtime: RuntimeDep, who: Admin, username: str, body: Annotated[bodies.Reasoned, Body()]
) -> dict[str, Any]:
    reason = validate_reason(body.as_sent().get("reason"))
    return user_json(svc.set_disabled(runtime.unit_of_work, username, False, who.name, reason))


@router.post("/{username}/password", summary="Reset a user's password; their sessions end")
def reset_password(
    runtime: RuntimeDep,
    who: Admin,
    username: str,
    body: Annotated[bodies.PasswordReset, Body()],
) -> dict[str, Any]:
    sent = body.as_sent()
    reason = validate_reason(sent.get("reason"))
    change = validate(PasswordChange, {"password": sent.get("password")})
    hashing = runtime.settings.password_hashing
    user = svc.set_password(
        runtime.unit_of_work, username, change, who.name, reason, hashing=hashing
    )
    return user_json(user)
