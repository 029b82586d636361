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
    (or the static tables) without it. Reads and routing keep working either way."""
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
        return body
    degraded = any(
        getattr(s, "degraded", False) for s in (reader.models_source, reader.routing_source)
    )
    return {"status": "degraded" if degraded else "ok", "sources": sources}
