"""Bulk export and import under /api/v1: the whole catalogue as one JSON document."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from modelplane.api.deps import Editor, RuntimeDep, Viewer
from modelplane.api.problems import problem
from modelplane.api.threads import DatabaseRoute, run_write
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.validation import MAX_REASON
from modelplane.services import bulk as svc

router = APIRouter(prefix="/api/v1", tags=["bulk"], route_class=DatabaseRoute)


@router.get("/export", summary="Export providers, categories, models, profiles and config")
def export(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    return svc.export_document(runtime.unit_of_work)


@router.post(
    "/import",
    summary="Import a document (an export, or a part of one)",
    response_model=dict[str, Any],
    description=(
        "The whole document is checked first and every problem is answered at once (422), "
        "each with its JSON path such as `models[3].pricing.input`. With `dryRun=true` the "
        "answer is the diff (created, updated with field changes, unchanged) and nothing is "
        "written. Otherwise the import is applied in one transaction, all or nothing, with "
        "one history entry (change type `imported`, the given `reason`) per changed "
        "document. Nothing is deleted. Profiles may come in the extended tables' shape; "
        "their `speedTier` and `costTier` keys are ignored with a warning. Documents larger "
        "than the server's limit get 413.\n\n"
        "An export records each model's, profile's and the router config's `version`: the "
        "import's base. A document changed since its base is a conflict (listed under "
        "`conflicts` with its base and current versions and the fields changed since). An "
        "import with conflicts is refused whole with 409, nothing written, unless "
        "`skipConflicts=true` (import the rest; the report lists them as `skipped`) or "
        "`force=true` with a `reason` (overwrite them; their history says it was forced). "
        "Documents without a `version` are imported over whatever is current and listed "
        "under `noBaseVersion`."
    ),
    responses={
        409: {
            "description": "Documents changed since the import's base versions",
            "content": {"application/problem+json": {"schema": {"type": "object"}}},
        }
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def import_document(
    request: Request,
    runtime: RuntimeDep,
    who: Editor,
    dry_run: Annotated[bool, Query(alias="dryRun")] = False,
    reason: Annotated[str | None, Query(max_length=MAX_REASON)] = None,
    force: Annotated[bool, Query(description="Overwrite conflicts; needs a reason.")] = False,
    skip_conflicts: Annotated[
        bool, Query(alias="skipConflicts", description="Import all but the conflicts.")
    ] = False,
) -> dict[str, Any] | JSONResponse:
    if force and skip_conflicts:
        message = "choose one of force and skipConflicts"
        raise InvalidInput([FieldError("query.force", message)])
    on_conflict = "force" if force else "skip" if skip_conflicts else "refuse"
    limit = runtime.settings.import_max_bytes
    data = svc.parse_json(await read_body(request, limit))

    def work() -> dict[str, Any]:
        why = None if dry_run else reason
        report = svc.import_document(
            runtime.unit_of_work, data, who.name, dry_run, why, on_conflict=on_conflict
        )
        return report.to_json()

    try:
        return await run_write(work)
    except svc.ImportConflicts as exc:
        conflicts = [c.to_json() for c in exc.conflicts]
        return problem(409, "Import conflicts", str(exc), conflicts=conflicts)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 once it passes ``limit`` bytes (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"Content too large: an import may hold at most {limit} bytes")
