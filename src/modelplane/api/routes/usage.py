"""Usage ingestion: ``POST /api/v1/usage`` with one event or ``{"events": [...]}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from modelplane.api.deps import CurrentToken, RuntimeDep
from modelplane.api.writes import write
from modelplane.services import usage as svc
from modelplane.services.tokens import Forbidden, Identity, allows

router = APIRouter(prefix="/api/v1/usage", tags=["usage"])


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
    "modelId": "openai:gpt-5-mini",
    "feature": "chat",
    "userId": "u-81f3",
    "inputTokens": 1200,
    "outputTokens": 350,
    "latencyMs": 840,
}


@router.post(
    "",
    summary="Record usage",
    description='One event, or `{"events": [...]}` (at most 10,000). Each event is priced '
    "from the catalogue as it is now and stored with that cost. Any bad event refuses the "
    "whole batch (422, nothing written) and each problem names its path, e.g. "
    "`events[3].inputTokens`.",
)
def record_usage(
    runtime: RuntimeDep,
    _: Ingester,
    body: Annotated[
        dict[str, Any],
        Body(
            openapi_examples={
                "one": {"value": _EXAMPLE},
                "batch": {"value": {"events": [_EXAMPLE, {**_EXAMPLE, "feature": "title"}]}},
            }
        ),
    ],
) -> dict[str, object]:
    reader = runtime.reader
    return write(runtime, lambda uow: svc.record_usage(uow, reader, body)).to_json()
