"""Feedback ingestion: ``POST /api/v1/feedback`` with one event, a list, or
``{"events": [...]}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from modelplane.api.deps import RuntimeDep
from modelplane.api.routes.usage import Ingester
from modelplane.api.threads import DatabaseRoute
from modelplane.services import feedback as svc

router = APIRouter(prefix="/api/v1/feedback", tags=["usage"], route_class=DatabaseRoute)

_EXAMPLE = {
    "eventId": "5b0e3c1a-2f4d-4a6b-9c8e-1d2f3a4b5c6d",
    "decisionId": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "signal": "thumbs",
    "value": 1,
}


@router.post(
    "",
    summary="Record feedback on a routing decision",
    description="A verdict on the decision a route answer's `decisionId` names: "
    '`{eventId?, decisionId, signal, value, comment?}`, or a list of them (or `{"events": '
    "[...]}`, at most 10,000). `signal` is `thumbs` (-1 or 1, or 0 or 1), `rating` (1 to "
    "5), `regenerated` or `task_success` (0 or 1) or `judge` (0 to 1); a value out of its "
    "range refuses the whole body (422, the field named, nothing written). An event whose "
    "`eventId` is already stored is skipped. Feedback for a decision the log does not hold "
    "is stored and counted in `orphaned`. Needs an ingest, editor or admin token.",
)
def record_feedback(
    runtime: RuntimeDep,
    _: Ingester,
    body: Annotated[
        Any,
        Body(openapi_examples={"one": {"value": _EXAMPLE}, "batch": {"value": [_EXAMPLE]}}),
    ],
) -> dict[str, int]:
    return svc.record_feedback(runtime.unit_of_work, body).to_json()
