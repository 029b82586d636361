"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from modelplane import __version__
from modelplane.api import problems
from modelplane.api.routes import models, openai, router_data
from modelplane.bootstrap import Runtime


def create_app(runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or Runtime()
    app = FastAPI(
        title="modelplane",
        version=__version__,
        summary="Model catalogue and auto-router control plane.",
    )
    app.state.runtime = runtime
    problems.install(app)
    app.include_router(models.router)
    app.include_router(router_data.router)
    app.include_router(openai.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, Any]:
        reader = runtime.reader
        sources = {"models": reader.models_source.name, "routing": reader.routing_source.name}
        degraded = any(getattr(s, "degraded", False) for s in (reader.models_source,))
        return {"status": "degraded" if degraded else "ok", "sources": sources}

    return app
