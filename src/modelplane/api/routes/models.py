"""The model catalogue under /api/v1/models: reads, writes, history and rollback.

Model ids hold ``:`` and ``.`` and may hold ``/``, so they are matched as paths; the routes
with a suffix (``/history``, ``/rollback``, ...) come before the bare ``/{model_id}`` ones.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from modelplane.api import bodies
from modelplane.api.deps import Admin, Editor, PublicRead, ReaderDep, RuntimeDep, Viewer
from modelplane.api.threads import DatabaseRoute
from modelplane.api.writes import VERSION_RULES, WriteMeta, WriteMetaDep, etag, set_etag
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.history import HistoryEntry
from modelplane.domain.lifecycle import lifecycle_headers, list_headers
from modelplane.domain.models import Capability, Model, ModelSpec, Status
from modelplane.domain.prices import parse_moment, price_json, timeline_json
from modelplane.domain.reader import ModelFilter
from modelplane.domain.validation import validate
from modelplane.services import models as svc
from modelplane.services import prices
from modelplane.services import replace as replace_svc

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

_BULK_EXAMPLE: dict[str, Any] = {
    "deprecate": {"value": {"ids": ["acme:fast-1"], "status": "deprecated", "reason": "superseded"}}
}


# Reads -------------------------------------------------------------------------------------


@router.get(
    "",
    dependencies=[PublicRead],
    summary="List models, with filters",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
    description="`data` holds the models (each as `GET /api/v1/models/{id}` answers); "
    "`count` how many. When listed models have lifecycle dates, `Deprecation` and `Sunset` "
    "give the earliest among them and `Link` names the soonest 20 "
    '(`rel="deprecation"`, `rel="sunset"`).',
)
async def list_models(
    reader: ReaderDep,
    provider: str | None = None,
    status: Status | None = None,
    capability: Capability | None = None,
    internal_only: Annotated[bool | None, Query(alias="internalOnly")] = None,
    experimental: bool | None = None,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> Response:
    filters = ModelFilter(provider, status, capability, internal_only, experimental)

    def render() -> tuple[bytes, dict[str, str]]:
        # Each model's JSON was rendered with its snapshot: the list only joins them.
        models = reader.models(filters)[:limit]
        parts = []
        for model in models:
            rendered = reader.rendered(model.id)
            parts.append(rendered[0] if rendered is not None else _compact(model.to_json()))
        count = str(len(models)).encode()
        body = b'{"data":[' + b",".join(parts) + b'],"count":' + count + b"}"
        return body, list_headers(models, router.prefix)

    answer = reader.memo(("api/v1/models", filters, limit), render)
    if answer is None:
        answer = await run_in_threadpool(render)
    body, headers = answer
    return Response(body, media_type="application/json", headers=headers)


def _compact(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@router.get("/search", dependencies=[PublicRead], summary="Search ids, names and descriptions")
def search_models(
    reader: ReaderDep,
    response: Response,
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
    response.headers.update(list_headers(models, router.prefix))
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
    "/bulk-status",
    summary="Deprecate or activate many models with one reason",
    description=(
        "Body: `{ids, status, reason}` with `status` `active` or `deprecated`; the reason is "
        "required. One transaction: any unknown or retired id, or (deprecating) a model the "
        "router config names, refuses the whole change, each error naming its model. Models "
        "already at that status are listed as `unchanged`."
    ),
)
def bulk_status(
    runtime: RuntimeDep,
    who: Editor,
    body: Annotated[dict[str, Any], Body(openapi_examples=_BULK_EXAMPLE)],
) -> dict[str, Any]:
    _only_keys(body, {"ids", "status"})
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidInput([FieldError("ids", "must be a list of model ids")])
    status, reason = body.get("status"), body.get("reason")
    result = svc.bulk_set_status(runtime.unit_of_work, ids, str(status), who.name, reason)
    return result.to_json()


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
    "/{model_id:path}/replace",
    summary="Replace a model by another everywhere it is named",
    description=(
        "Body: `{newId, dryRun?, reason?}`. In one change: the router config's fallback and "
        "router model (and any other place naming the model), its profile (copied when the "
        "new model has none), running experiments; then the model is deprecated with the new "
        "one as successor and a reason naming it. `dryRun` answers the same report and "
        "writes nothing."
    ),
)
def replace(
    runtime: RuntimeDep,
    who: Editor,
    model_id: str,
    body: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    new_id = body.get("newId")
    if not isinstance(new_id, str) or not new_id:
        raise InvalidInput([FieldError("newId", "the id of the model that replaces it")])
    reason = body.get("reason")
    return replace_svc.replace_model(
        runtime.unit_of_work,
        model_id,
        new_id,
        who.name,
        dry_run=bool(body.get("dryRun", False)),
        reason=reason if isinstance(reason, str) else None,
    )


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
    "/{model_id:path}/retire",
    summary="Retire a model for good (admins)",
    description=(
        "Body: `{reason, expectedVersion?}`; the reason is required. The model is deprecated "
        "in a last version and hidden from every list (`/v1/models`, this API's lists, the "
        "console, the router); its id stays reserved (creating or importing it again is "
        "refused) and its history stays readable. The router's fallback and router models "
        "cannot be retired."
    ),
)
def retire(
    runtime: RuntimeDep,
    who: Admin,
    meta: WriteMetaDep,
    model_id: str,
    body: Annotated[bodies.StatusChange | None, Body()] = None,
) -> dict[str, Any]:
    _only_keys(body.document() if body else {}, set())
    retired = svc.retire_model(runtime.unit_of_work, model_id, who.name, meta.reason, meta.version)
    return retired.to_json()


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


@router.get(
    "/{model_id:path}/price",
    dependencies=[PublicRead],
    summary="The model's price at a moment",
    description="`at`: an ISO 8601 time with its zone (default: now). The answer names the "
    "price in force then and when it started (`null`: the model's only price).",
)
async def price_at(reader: ReaderDep, model_id: str, at: str | None = None) -> dict[str, Any]:
    moment = _moment(at, "at") if at else utcnow()
    return price_json(reader.get(model_id), moment)


@router.get(
    "/{model_id:path}/prices",
    dependencies=[PublicRead],
    summary="The model's price timeline, past and scheduled",
)
async def price_timeline(reader: ReaderDep, model_id: str) -> dict[str, Any]:
    model = reader.get(model_id)
    entries = timeline_json(model, utcnow())
    return {"id": model.id, "data": entries, "count": len(entries)}


@router.post(
    "/{model_id:path}/prices",
    status_code=201,
    summary="Schedule a price",
    description="Body: `{pricing, effectiveFrom, reason?}`. `pricing` is merged over the price "
    "in force at `effectiveFrom` and applies from then on, in every process, with no further "
    "write; a past time prices usage since then. Subscribers hear `model.price_changed`.",
)
def schedule_price(
    runtime: RuntimeDep,
    who: Editor,
    model_id: str,
    body: Annotated[
        bodies.PriceBody,
        Body(
            openapi_examples={
                "new year": {
                    "value": {"pricing": {"input": 3}, "effectiveFrom": "2027-01-01T00:00:00Z"}
                }
            }
        ),
    ],
) -> dict[str, Any]:
    document = body.as_sent()
    _only_keys(document, {"pricing", "effectiveFrom"})
    return _scheduled(runtime, who.name, model_id, document, document.get("reason"))


@router.get("/{model_id:path}", dependencies=[PublicRead], summary="One model", responses=_ONE)
async def get_model(reader: ReaderDep, model_id: str) -> Response:
    # The hot read: from a snapshot, the JSON was rendered when the snapshot was built.
    rendered = reader.rendered(model_id)
    if rendered is not None:
        body, version = rendered
        found = reader.find(model_id)
        headers = {"ETag": etag(version), **(lifecycle_headers(found) if found else {})}
        return Response(body, media_type="application/json", headers=headers)
    model = await run_in_threadpool(reader.get, model_id)
    headers = {"ETag": etag(model.version), **lifecycle_headers(model)}
    return JSONResponse(model.to_json(), headers=headers)


@router.patch(
    "/{model_id:path}",
    summary="Change some of a model's fields",
    description=(
        'A partial model: nested objects merge (`{"pricing": {"input": 3}}` changes only '
        "the input price), lists and other values replace, `null` clears an optional field. "
        "With `effectiveFrom` (an ISO 8601 time) the body may hold only `pricing`: the price "
        "is scheduled from then on, as `POST .../prices` does. " + VERSION_RULES
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
    document = body.document()
    if "effectiveFrom" in document:  # a dated price: scheduled, not written over the document
        _only_keys(document, {"pricing", "effectiveFrom"})
        return _scheduled(runtime, who.name, model_id, document, meta.reason)
    expected = meta.expected
    model = svc.update_model(
        runtime.unit_of_work, model_id, document, who.name, expected, meta.reason
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


def _moment(text: Any, field: str) -> datetime:
    if not isinstance(text, str):
        raise InvalidInput(
            [FieldError(field, "must be an ISO 8601 time, e.g. 2027-01-01T00:00:00Z")]
        )
    try:
        return parse_moment(text, field)
    except ValueError as exc:
        raise InvalidInput([FieldError(field, str(exc).removeprefix(f"{field}: "))]) from None


def _scheduled(
    runtime: RuntimeDep, author: str, model_id: str, document: dict[str, Any], reason: Any
) -> dict[str, Any]:
    if "pricing" not in document:
        raise InvalidInput([FieldError("pricing", "is required with effectiveFrom")])
    when = _moment(document.get("effectiveFrom"), "effectiveFrom")
    model = prices.schedule_price(
        runtime.unit_of_work, model_id, document["pricing"], when, author, reason
    )
    return {
        "id": model.id,
        "effectiveFrom": when.isoformat().replace("+00:00", "Z"),
        "pricing": model.pricing_at(when).to_json(),
        "timeline": timeline_json(model, utcnow()),
    }


def _only_keys(document: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(document.keys() - allowed - {"expectedVersion", "reason"})
    if extra:
        raise InvalidInput([FieldError(k, "unknown field") for k in extra])
