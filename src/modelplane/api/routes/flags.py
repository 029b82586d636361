"""Rollout flags under /api/v1/flags: list, read, change, history, rollback, evaluate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from modelplane.api import bodies
from modelplane.api.deps import Editor, RuntimeDep, UserContextDep, Viewer
from modelplane.api.routes.models import VersionPath, history_page, rollback_target
from modelplane.api.threads import DatabaseRoute
from modelplane.api.writes import VERSION_RULES, WriteMetaDep, set_etag
from modelplane.bootstrap import Runtime
from modelplane.domain.flags import Flag
from modelplane.services import flags as svc

router = APIRouter(prefix="/api/v1/flags", tags=["flags"], route_class=DatabaseRoute)
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]


def _with_override(runtime: Runtime, flag: Flag) -> dict[str, Any]:
    return {**flag.to_json(), "override": svc.override_for(runtime.settings, flag.name)}


@router.get("", summary="Every flag, with the environment's override")
def list_flags(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    """Stored flags and the known ones not stored yet (at version 0, as they evaluate).
    `override` is the environment's word (`MODELPLANE_FLAG_<NAME>`), which wins."""
    flags = svc.list_flags_with_defaults(runtime.unit_of_work)
    rows = [_with_override(runtime, f) for f in flags]
    return {"data": rows, "count": len(rows)}


@router.get("/{name}/history/{version}", summary="A flag at one version")
def flag_at(runtime: RuntimeDep, _: Viewer, name: str, version: VersionPath) -> dict[str, Any]:
    return svc.flag_at(runtime.unit_of_work, name, version)


@router.get("/{name}/history", summary="A flag's versions, newest first")
def flag_history(
    runtime: RuntimeDep, _: Viewer, name: str, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    entries, total = svc.flag_history(runtime.unit_of_work, name, offset, limit)
    return history_page(entries, total, offset, limit)


@router.get("/{name}/evaluate", summary="Is this user enrolled?")
def evaluate(runtime: RuntimeDep, _: Viewer, name: str, context: UserContextDep) -> dict[str, Any]:
    """The user comes from `userId` / `sessionId` (query) or the `X-Modelplane-User` /
    `X-Modelplane-Session` headers. The answer holds the bucket (1-100) and the reason."""
    result = svc.evaluate_stored(runtime.unit_of_work, runtime.settings, name, context)
    return result.to_json()


@router.get("/{name}", summary="One flag")
def get_flag(runtime: RuntimeDep, _: Viewer, name: str, response: Response) -> dict[str, Any]:
    flags = {f.name: f for f in svc.list_flags_with_defaults(runtime.unit_of_work)}
    flag = flags.get(name) or svc.get_flag(runtime.unit_of_work, name)  # NotFound names it
    set_etag(response, flag.version)
    return _with_override(runtime, flag)


@router.patch(
    "/{name}",
    summary="Change a flag (or create one)",
    description="Some of `enabled`, `percentage`, `stickiness`, `groupId`, `description`; "
    "they merge into the current flag. A flag not stored yet is at version 0. " + VERSION_RULES,
)
def set_flag(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    name: str,
    response: Response,
    body: Annotated[
        bodies.FlagPatch,
        Body(openapi_examples={"5%": {"value": {"enabled": True, "percentage": 5}}}),
    ],
) -> dict[str, Any]:
    expected = meta.expected
    flag = svc.set_flag(
        runtime.unit_of_work, name, body.document(), who.name, meta.reason, expected
    )
    set_etag(response, flag.version)
    return _with_override(runtime, flag)


@router.post(
    "/{name}/rollback",
    summary="Restore a flag as it was at a version",
    description="Body: `{version, reason?, expectedVersion?}`. " + VERSION_RULES,
)
def rollback_flag(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    name: str,
    response: Response,
    body: Annotated[bodies.Rollback, Body()],
) -> dict[str, Any]:
    target = rollback_target(body.document())
    flag = svc.rollback_flag(
        runtime.unit_of_work, name, target, who.name, meta.reason, meta.expected
    )
    set_etag(response, flag.version)
    return _with_override(runtime, flag)
