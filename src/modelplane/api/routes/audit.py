"""The audit log under /api/v1/audit: every change of every kind, filtered, paginated, and
exported as CSV or JSON Lines."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from modelplane.api.deps import RuntimeDep, Viewer
from modelplane.domain.audit import KINDS, MAX_PAGE, parse_filter
from modelplane.services import audit as svc

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


@router.get(
    "",
    summary="Every change: who, when, what, why, and through which face",
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
def audit_log(
    runtime: RuntimeDep,
    _: Viewer,
    kind: Annotated[
        str | None, Query(description=f"One or more of {', '.join(KINDS)}, comma-separated.")
    ] = None,
    actor: Annotated[str | None, Query(max_length=200, description="Who made it.")] = None,
    since: Annotated[str | None, Query(description="ISO 8601; from this time on.")] = None,
    until: Annotated[str | None, Query(description="ISO 8601; before this time.")] = None,
    id: Annotated[str | None, Query(max_length=200, description="The document's id.")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    format: Annotated[
        Literal["json", "csv", "jsonl"],
        Query(description="`json`: one page; `csv` and `jsonl`: every matching entry."),
    ] = "json",
) -> Response:
    """Newest first. Each entry: `at`, `kind`, `id`, `version` (versioned documents),
    `action`, `actor`, `face` (api, console or cli), `reason` and `changes` (field, old,
    new)."""
    where = parse_filter(kind, actor, since, until, id)
    if format == "json":
        page: dict[str, Any] = svc.audit_log(runtime.unit_of_work, where, offset, limit)
        return JSONResponse(page)
    body = svc.export(runtime.unit_of_work, where, format)
    headers = {"Content-Disposition": f'attachment; filename="modelplane-audit.{format}"'}
    return PlainTextResponse(body, media_type=_MEDIA[format], headers=headers)
