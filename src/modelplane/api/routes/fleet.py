"""The fleet under /api/v1/fleet: every serving process and its lag behind the database."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelplane.api.deps import RuntimeDep, Viewer
from modelplane.services.fleet import fleet_status

router = APIRouter(prefix="/api/v1/fleet", tags=["health"])


@router.get("", summary="Every serving process: the change it serves, its lag, its health")
def fleet(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    """`sequence` is the database's change sequence. Per process: `sequence` (the change it
    serves), `lagChanges` and `lagMs` behind the database (the age of the oldest change it
    has not applied), `lastSeen` (its last heartbeat), `degraded` (cannot reach the
    database), `silent` (no heartbeat for three intervals) and `behind` (lagging for longer
    than `MODELPLANE_FLEET_BEHIND_AFTER_MS`)."""
    return fleet_status(runtime.unit_of_work, runtime.settings)
