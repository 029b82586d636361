"""Usage ingestion: ``POST /api/v1/usage`` with one event or ``{"events": [...]}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from modelplane.api.deps import CurrentToken, RuntimeDep
from modelplane.api.threads import DatabaseRoute
from modelplane.services import usage as svc
from modelplane.services.tokens import Forbidden, Identity, allows

router = APIRouter(prefix="/api/v1/usage", tags=["usage"], route_class=DatabaseRoute)


def _ingester(identity: CurrentToken) -> Identity:
    """An ``ingest`` token, or an editor's or admin's. ``allows`` keeps ``ingest`` outside
    the viewer < editor < admin order (an ingest token reads nothing), so "ingest or above"
    is spelled out here rather than bent into that order."""
    if identity.role != "ingest" and not allows(identity.role, "editor"):
        raise Forbidden(
            f"recording usage needs an ingest, editor or admin token; "
            f"token {identity.name!r} is {identity.role}"
        )
    return identity


Ingester = Annotated[Identity, Depends(_ingester)]

_EXAMPLE = {
    "eventId": "3f6c1d0e-8a4b-4c5e-9f2a-7b1d2e3c4a5b",
    "modelId": "openai:gpt-5-mini",
    "feature": "chat",
    "userId": "u-81f3",
    "inputTokens": 1200,
    "outputTokens": 350,
    "latencyMs": 840,
    "decisionId": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
}


@router.post(
    "",
    summary="Record usage",
    description='One event, or `{"events": [...]}` (at most 10,000). Each event is priced '
    "from the catalogue as it is now and stored with that cost. Any bad event refuses the "
    "whole batch (422, nothing written) and each problem names its path, e.g. "
    "`events[3].inputTokens`.\n\n"
    "An event may carry an `eventId` (a string of at most 100 characters, e.g. a UUID) to "
    "make a resend safe: an event whose id is already stored is skipped, not refused, so a "
    "batch retried after a timeout is recorded once. The same id twice in one batch is a "
    "422 on the repeat (`events[4].eventId`: repeats the eventId of events[1]). The answer "
    "counts `accepted` (stored now), `duplicates` (skipped) and `costUsd` (of those stored "
    "now).\n\n"
    "`decisionId` is the route answer's: it ties the generation to that decision's "
    "experiment arm, flag enrolment and config version (`routingDecisionId`, the decision "
    "log's row number, is still taken).",
)
def record_usage(
    runtime: RuntimeDep,
    _: Ingester,
    body: Annotated[
        dict[str, Any],
        Body(
            openapi_examples={
                "one": {"value": _EXAMPLE},
                "batch": {
                    "value": {
                        "events": [
                            _EXAMPLE,
                            {
                                **_EXAMPLE,
                                "eventId": "9a2e4b7c-1d3f-4e6a-8b5c-0f9d8e7c6b5a",
                                "feature": "title",
                            },
                        ]
                    }
                },
            }
        ),
    ],
) -> dict[str, object]:
    return svc.record_usage(runtime.unit_of_work, runtime.reader, body).to_json()
