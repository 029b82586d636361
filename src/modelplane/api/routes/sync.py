"""Sync from a public catalogue under /api/v1 (admin), and the log of syncs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from modelplane.api.deps import Admin, RuntimeDep, Viewer
from modelplane.api.routes.bulk import read_body
from modelplane.api.threads import DatabaseRoute
from modelplane.api.writes import EmergencyDep
from modelplane.domain.catalogue_sources import SourceName
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.validation import MAX_REASON
from modelplane.services import change_requests
from modelplane.services import sync as svc

router = APIRouter(prefix="/api/v1", tags=["sync"], route_class=DatabaseRoute)


@router.post(
    "/sync",
    summary="Sync models and prices from LiteLLM, OpenRouter or models.dev",
    description=(
        "The source's document is the request body, or is fetched from `url` (http or "
        "https). The answer is the report: `created`, `updated` (field, old, new), "
        "`unchanged`, `notUpstream`, `conflicts` (fields a person edited since the last "
        "sync; kept unless `overwrite`), `held` (prices that would fall by more than half or "
        "rise more than threefold; applied with `acceptHeld`), `skipped`, `errors` and "
        "`unmapped`. With `dryRun=true` nothing is written. Otherwise the diff is applied in "
        "one transaction, one history entry of type `synced` per changed model; bad values "
        "answer 422 naming each entry and field, and nothing is applied.\n\n"
        "Under an approval policy (kind `sync`, or the model policy of a model it writes) "
        "an apply answers 409 with `openWith`; `changeRequest=true` with a `title` opens a "
        "change request holding the diff instead (201, the request with the report under "
        "`sync`), which is approved and applied like any other. `X-Emergency-Override: "
        "<reason>` (admins) applies past the policy, marked in the history."
    ),
    dependencies=[EmergencyDep],
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def sync(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    who: Admin,
    source: SourceName,
    url: str | None = None,
    dry_run: Annotated[bool, Query(alias="dryRun")] = False,
    reason: Annotated[str | None, Query(max_length=MAX_REASON)] = None,
    provider: Annotated[list[str] | None, Query()] = None,
    only: Annotated[list[str] | None, Query()] = None,
    overwrite: bool = False,
    accept_held: Annotated[bool, Query(alias="acceptHeld")] = False,
    change_request: Annotated[bool, Query(alias="changeRequest")] = False,
    title: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    body = await read_body(request, runtime.settings.import_max_bytes)
    if url is not None and not url.startswith(("http://", "https://")):
        raise InvalidInput([FieldError("url", "must be an http or https URL")])
    if url is None and not body:
        raise InvalidInput([FieldError("", "send the source's document, or give a url")])
    options = svc.SyncOptions(
        source=source,
        location=url or "request body",
        dry_run=dry_run,
        reason=reason,
        providers=tuple(provider or ()),
        only=tuple(only or ()),
        overwrite=overwrite,
        accept_held=accept_held,
        hold_below=runtime.settings.sync_hold_below,
        hold_above=runtime.settings.sync_hold_above,
    )

    def work() -> dict[str, Any]:
        raw = None if url is not None else body
        return change_requests.sync_or_open(
            runtime.unit_of_work,
            options,
            who.name,
            raw,
            change_request=change_request,
            title=title,
        )

    answer = await run_in_threadpool(work)
    if change_request:
        response.status_code = 201
    return answer


@router.get("/sync/runs", summary="The last sync of each source, and the most recent runs")
def sync_runs(
    runtime: RuntimeDep, _: Viewer, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    return svc.sync_runs(runtime.unit_of_work, limit)
