"""Health: is this process serving fresh data, and how old is its snapshot?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelplane.api.deps import RuntimeDep
from modelplane.live.snapshot import describe

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and freshness")
def healthz(runtime: RuntimeDep) -> dict[str, Any]:
    """``ok`` while the database is reachable; ``degraded`` while serving the last snapshot
    (or the static tables) without it; ``behind`` while this process has stayed behind the
    database's change sequence for longer than ``MODELPLANE_FLEET_BEHIND_AFTER_MS``. Reads
    and routing keep working in every case."""
    reader = runtime.reader
    sources = {"models": reader.models_source.name, "routing": reader.routing_source.name}
    if runtime.live_reads:
        live = runtime.live
        body: dict[str, Any] = {
            "status": "degraded" if live.degraded else "ok",
            "sources": sources,
            "snapshot": describe(live.current),
        }
        if live.degraded:
            body["database"] = live.last_error
        if "heartbeat" in runtime.__dict__:  # a serving process: is it keeping up?
            heartbeat = runtime.heartbeat
            body["fleet"] = {
                "id": heartbeat.id,
                "behind": heartbeat.behind,
                "lagChanges": heartbeat.lag_changes,
            }
            if heartbeat.behind and not live.degraded:
                body["status"] = "behind"
        return body
    degraded = any(
        getattr(s, "degraded", False) for s in (reader.models_source, reader.routing_source)
    )
    return {"status": "degraded" if degraded else "ok", "sources": sources}
