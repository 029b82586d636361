"""Health: is this process serving fresh data, and how old is its snapshot?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelplane.api.deps import RuntimeDep
from modelplane.bootstrap import Runtime
from modelplane.live.snapshot import describe
from modelplane.router.classification.embedded import shipped_weights

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
    body = _freshness(runtime, sources)
    body["classifier"] = classifier(runtime)
    return body


def classifier(runtime: Runtime) -> dict[str, Any]:
    """The classifier the routing dials select and what it runs on: ``kind`` is the one in
    use. The LLM one selected without an endpoint runs the embedded one instead, and says
    so in ``fallback`` (the router logs it too); an LLM failure on a request is answered
    with the conservative classification, which that decision's
    ``classificationSource`` names."""
    weights = shipped_weights()
    try:
        settings = runtime.reader.router_config().router_settings
    except Exception as exc:  # the routing data cannot be read: routes fall back, so does this
        return {"kind": "embedded", "weights": weights, "configured": f"unknown ({exc})"}
    if settings.classifier == "llm" and runtime.settings.llm_base_url:
        return {
            "kind": "llm",
            "model": settings.router_model_id,
            "onFailure": "conservative",
            "difficulty": weights["difficulty"],
        }
    body: dict[str, Any] = {"kind": "embedded", "weights": weights}
    if settings.classifier == "llm":
        body["configured"] = "llm"
        body["fallback"] = (
            "the LLM classifier is selected but MODELPLANE_LLM_BASE_URL is not set: "
            "using the embedded one"
        )
    return body


def _freshness(runtime: Runtime, sources: dict[str, str]) -> dict[str, Any]:
    reader = runtime.reader
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
