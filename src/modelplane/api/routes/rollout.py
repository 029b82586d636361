"""The rollout report under /api/v1/rollout: the evidence for the next rollout step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from modelplane.api.deps import RuntimeDep, Viewer
from modelplane.services.rollout_report import rollout_report

router = APIRouter(prefix="/api/v1/rollout", tags=["flags"])


@router.get("/report", summary="Parity per source, and the mismatches between them")
def report(
    runtime: RuntimeDep,
    _: Viewer,
    hours: Annotated[
        float | None, Query(gt=0, le=24 * 366, description="The last N hours.")
    ] = None,
) -> dict[str, Any]:
    """Flags; per source (static, db): sampled requests, error rate, latency; mismatches by
    kind with a few recent examples."""
    since = datetime.now(UTC) - timedelta(hours=hours) if hours else None
    return rollout_report(runtime.unit_of_work, since)
