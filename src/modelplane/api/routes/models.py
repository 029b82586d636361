"""The model catalogue under /api/v1/models: reads, writes, history and rollback.

Model ids hold ``:`` and ``.`` and may hold ``/``, so they are matched as paths; the routes
with a suffix (``/history``, ``/rollback``, ...) come before the bare ``/{model_id}`` ones.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from modelplane.api import bodies
from modelplane.api.deps import Editor, PublicRead, ReaderDep, RuntimeDep, Viewer
from modelplane.api.threads import DatabaseRoute
from modelplane.api.writes import VERSION_RULES, WriteMeta, WriteMetaDep, etag, set_etag
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.history import HistoryEntry
from modelplane.domain.models import Capability, Model, ModelSpec, Status
from modelplane.domain.reader import ModelFilter
from modelplane.domain.validation import validate
from modelplane.services import models as svc

router = APIRouter(prefix="/api/v1/models", tags=["models"], route_class=DatabaseRoute)
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
VersionPath = Annotated[int, Path(ge=1, lt=10**9, description="A version number.")]
_ONE: dict[int | str, dict[str, Any]] = {
    200: {"model": Model, "description": "The model; `ETag` holds its version."}
}

_CREATE_EXAMPLE = {
    "id": "acme:fast-1",
    "provider": "acme",
    "name": "Acme Fast 1",
    "contextWindow": 128000,
    "pricing": {"input": 0.5, "output": 1.5},
    "capabilities": ["function-calling"],
    "reason": "new model from Acme",
}


# Reads -------------------------------------------------------------------------------------


@router.get("", dependencies=[PublicRead], summary="List models, with filters")
def list_models(
    reader: ReaderDep,
    provider: str | None = None,
    status: Status | None = None,
    capability: Capability | None = None,
    internal_only: Annotated[bool | None, Query(alias="internalOnly")] = None,
    experimental: bool | None = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> dict[str, Any]:
    filters = ModelFilter(provider, status, capability, internal_only, experimental)
    models = reader.models(filters)[:limit]
    return {"data": [m.to_json() for m in models], "count": len(models)}


@router.get("/search", dependencies=[PublicRead], summary="Search ids, names and descriptions")
def search_models(
    reader: ReaderDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Limit = 50,
    provider: str | None = None,
    status: Status | None = None,
    capability: Capability | None = None,
    internal_only: Annotated[bool | None, Query(alias="internalOnly")] = None,
    experimental: bool | None = None,
) -> dict[str, Any]:
    filters = ModelFilter(provider, status, capability, internal_only, experimental)
    models = reader.search(q, limit, filters)
    return {"data": [m.to_json() for m in models], "count": len(models)}


@router.get("/{model_id:path}/history/{version}", summary="The whole model at one version")
def model_at(runtime: RuntimeDep, _: Viewer, model_id: str, version: VersionPath) -> dict[str, Any]:
    return svc.model_at(runtime.unit_of_work, model_id, version)


@router.get(
    "/{model_id:path}/history",
    summary="A model's versions, newest first",
    responses={200: {"description": "`data` holds one page; `total` counts every version."}},
)
def model_history(
    runtime: RuntimeDep, _: Viewer, model_id: str, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    entries, total = svc.history(runtime.unit_of_work, model_id, offset, limit)
    return history_page(entries, total, offset, limit)


# Writes ------------------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    summary="Create a model",
    description="The body is a model (camelCase) plus an optional `reason`.",
    responses={201: {"model": Model}},
)
def create_model(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    response: Response,
    body: Annotated[bodies.ModelCreate, Body(openapi_examples={"new": {"value": _CREATE_EXAMPLE}})],
) -> dict[str, Any]:
    spec = validate(ModelSpec, body.document())
    model = svc.create_model(runtime.unit_of_work, spec, who.name, meta.reason)
    return _answer(response, model, created=True)


@router.post(
    "/{model_id:path}/deprecate",
    summary="Deprecate a model",
    description=VERSION_RULES,
    responses=_ONE,
)
def deprecate(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    model_id: str,
    response: Response,
    body: Annotated[bodies.StatusChange | None, Body()] = None,
) -> dict[str, Any]:
    return _set_status(runtime, who.name, meta, model_id, response, body, deprecated=True)


@router.post(
    "/{model_id:path}/reactivate",
    summary="Reactivate a deprecated model",
    description=VERSION_RULES + " The model returns to the status it had before deprecation.",
    responses=_ONE,
)
def reactivate(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    model_id: str,
    response: Response,
    body: Annotated[bodies.StatusChange | None, Body()] = None,
) -> dict[str, Any]:
    return _set_status(runtime, who.name, meta, model_id, response, body, deprecated=False)


@router.post(
    "/{model_id:path}/duplicate",
    status_code=201,
    summary="Copy a model to a new id",
    description="Body: `{newId?, reason?}`; without `newId` the copy is `<id>-copy`.",
    responses={201: {"model": Model}},
)
def duplicate(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    model_id: str,
    response: Response,
    body: Annotated[bodies.Duplicate | None, Body()] = None,
) -> dict[str, Any]:
    document = body.document() if body else {}
    _only_keys(document, {"newId"})
    new_id = document.get("newId")
    if new_id is not None and not isinstance(new_id, str):
        raise InvalidInput([FieldError("newId", "must be a model id")])
    model = svc.duplicate_model(runtime.unit_of_work, model_id, who.name, new_id, meta.reason)
    return _answer(response, model, created=True)


@router.post(
    "/{model_id:path}/rollback",
    summary="Restore the model as it was at a version",
    description="Body: `{version, reason?, expectedVersion?}`. " + VERSION_RULES,
    responses=_ONE,
)
def rollback(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    model_id: str,
    response: Response,
    body: Annotated[bodies.Rollback, Body(openapi_examples={"undo": {"value": {"version": 3}}})],
) -> dict[str, Any]:
    target = rollback_target(body.document())
    model = svc.rollback_model(
        runtime.unit_of_work, model_id, target, who.name, meta.reason, meta.expected
    )
    return _answer(response, model)


@router.get("/{model_id:path}", dependencies=[PublicRead], summary="One model", responses=_ONE)
async def get_model(reader: ReaderDep, model_id: str) -> Response:
    # The hot read: from a snapshot, the JSON was rendered when the snapshot was built.
    rendered = reader.rendered(model_id)
    if rendered is not None:
        body, version = rendered
        return Response(body, media_type="application/json", headers={"ETag": etag(version)})
    model = await run_in_threadpool(reader.get, model_id)
    return JSONResponse(model.to_json(), headers={"ETag": etag(model.version)})


@router.patch(
    "/{model_id:path}",
    summary="Change some of a model's fields",
    description=(
        'A partial model: nested objects merge (`{"pricing": {"input": 3}}` changes only '
        "the input price), lists and other values replace, `null` clears an optional field. "
        + VERSION_RULES
    ),
    responses=_ONE,
)
def update_model(
    runtime: RuntimeDep,
    who: Editor,
    meta: WriteMetaDep,
    model_id: str,
    response: Response,
    body: Annotated[
        bodies.ModelPatch,
        Body(openapi_examples={"price": {"value": {"pricing": {"input": 3}, "reason": "cut"}}}),
    ],
) -> dict[str, Any]:
    expected = meta.expected
    model = svc.update_model(
        runtime.unit_of_work, model_id, body.document(), who.name, expected, meta.reason
    )
    return _answer(response, model)


# Helpers -----------------------------------------------------------------------------------


def history_page(
    entries: list[HistoryEntry], total: int, offset: int, limit: int
) -> dict[str, Any]:
    return {
        "data": [e.to_json() for e in entries],
        "count": len(entries),
        "total": total,
        "offset": offset,
        "limit": limit,
    }


def rollback_target(document: dict[str, Any]) -> int:
    _only_keys(document, {"version"})
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 10**9:
        raise InvalidInput([FieldError("version", "the version to restore (1 or more)")])
    return version


def _set_status(
    runtime: RuntimeDep,
    author: str,
    meta: WriteMeta,
    model_id: str,
    response: Response,
    body: bodies.StatusChange | None,
    deprecated: bool,
) -> dict[str, Any]:
    _only_keys(body.document() if body else {}, set())
    expected = meta.expected
    model = svc.set_status(
        runtime.unit_of_work, model_id, deprecated, author, expected, meta.reason
    )
    return _answer(response, model)


def _answer(response: Response, model: Model, created: bool = False) -> dict[str, Any]:
    set_etag(response, model.version)
    if created:
        response.headers["Location"] = f"/api/v1/models/{model.id}"
    return model.to_json()


def _only_keys(document: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(document.keys() - allowed - {"expectedVersion", "reason"})
    if extra:
        raise InvalidInput([FieldError(k, "unknown field") for k in extra])
