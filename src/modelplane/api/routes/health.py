"""Health: is this process serving fresh data, and how old is its snapshot?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelplane.api.deps import RuntimeDep
from modelplane.live.snapshot import describe

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and freshness")
def healthz(runtime: RuntimeDep) -> dict[str, Any]:
    """``ok`` while the database answers; ``degraded`` while serving the last snapshot (or
    the static tables) without it: its last round trip failed, or the last successful one
    is a few seconds old (a silent database); ``behind`` while this process has stayed
    behind the database's change sequence for longer than
    ``MODELPLANE_FLEET_BEHIND_AFTER_MS``. Reads and routing keep working in every case."""
    reader = runtime.reader
    sources = {"models": reader.models_source.name, "routing": reader.routing_source.name}
    if runtime.live_reads:
        live = runtime.live
        problem = live.problem
        body: dict[str, Any] = {
            "status": "degraded" if problem is not None else "ok",
            "sources": sources,
            "snapshot": describe(live.current),
        }
        if problem is not None:
            body["database"] = problem
        if "heartbeat" in runtime.__dict__:  # a serving process: is it keeping up?
            heartbeat = runtime.heartbeat
            body["fleet"] = {
                "id": heartbeat.id,
                "behind": heartbeat.behind,
                "lagChanges": heartbeat.lag_changes,
            }
            if heartbeat.behind and problem is None:
                body["status"] = "behind"
        return body
    degraded = any(
        getattr(s, "degraded", False) for s in (reader.models_source, reader.routing_source)
    )
    return {"status": "degraded" if degraded else "ok", "sources": sources}
