"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from modelplane import __version__, web
from modelplane.api import openapi, problems, threads
from modelplane.api.body_limit import BodyLimitMiddleware
from modelplane.api.live_http import SnapshotMiddleware
from modelplane.api.routes import (
    analytics,
    audit,
    bulk,
    change_requests,
    events,
    experiments,
    feedback,
    flags,
    fleet,
    guard,
    health,
    models,
    openai,
    providers,
    rollout,
    route,
    router_data,
    sync,
    tokens,
    usage,
    users,
    webhooks,
)
from modelplane.api.security_headers import SecurityHeadersMiddleware
from modelplane.api.writes import API_DESCRIPTION
from modelplane.bootstrap import Runtime
from modelplane.router.classification.embedded import require_models
from modelplane.services.change_requests import (
    SCHEDULER_AHEAD,
    SCHEDULER_HEARING,
    SchedulerLoop,
)
from modelplane.services.guard import GuardLoop
from modelplane.services.moments import MomentsLoop
from modelplane.services.webhooks import start_deliverer
from modelplane.settings import Settings


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The app. Without a runtime (uvicorn workers) it builds a live one from the environment."""
    require_models()  # missing or damaged classifier weights stop the process here, in one line
    owns_runtime = runtime is None
    if runtime is None:
        settings = Settings()
        runtime = Runtime(settings, live_reads=settings.snapshot_reads)
    app = FastAPI(
        title="modelplane",
        version=__version__,
        summary="Model catalogue and auto-router control plane.",
        description=API_DESCRIPTION,
        lifespan=_lifespan,
    )
    app.state.runtime = runtime
    threads.configure(runtime.settings.db_write_threads)
    app.state.owns_runtime = owns_runtime
    problems.install(app)
    app.include_router(route.router)  # first: routes are matched in order, and it is the hottest
    app.include_router(models.router)
    app.include_router(router_data.router)
    app.include_router(openai.router)
    app.include_router(events.router)
    app.include_router(health.router)
    app.include_router(providers.router)
    app.include_router(tokens.router)
    app.include_router(bulk.router)
    app.include_router(sync.router)
    app.include_router(usage.router)
    app.include_router(feedback.router)
    app.include_router(rollout.router)
    app.include_router(analytics.router)
    app.include_router(webhooks.router)
    app.include_router(flags.router)
    app.include_router(guard.router)
    app.include_router(change_requests.router)
    app.include_router(experiments.router)
    app.include_router(users.router)
    app.include_router(fleet.router)
    app.include_router(audit.router)
    web.install(app)  # the admin console under /admin
    openapi.install(app, runtime.settings.public_reads_require_token)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/admin/models", status_code=307)

    app.add_middleware(SnapshotMiddleware, runtime=runtime)
    limits = runtime.settings
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=limits.body_max_bytes,
        import_max_bytes=limits.import_max_bytes,
    )
    production = runtime.settings.environment == "production"
    app.add_middleware(SecurityHeadersMiddleware, production=production)  # outermost
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    if runtime.live_reads:
        await asyncio.to_thread(lambda: runtime.live)  # first snapshot before the first request
        await asyncio.to_thread(lambda: runtime.heartbeat)  # this process joins the fleet
        if app.state.owns_runtime:
            # A serving process keeps what its first snapshot loaded for life: later snapshots
            # share every unchanged model with it. Frozen, those objects are left out of the
            # full collections that would otherwise walk them all (at 3,500 models about
            # 200,000 objects, a pause of 0.3-0.5 s that lands on a change's propagation).
            gc.collect()
            gc.freeze()
    deliverer = None
    if runtime.settings.webhooks_deliver:
        # Webhook deliveries leave this process on their own threads, woken by every change
        # it hears of (its own and other processes'), never on a request's path.
        subscribe = runtime.live.subscribe if runtime.live_reads else None
        deliverer = start_deliverer(
            runtime.unit_of_work, runtime.settings.webhooks_allow_private, subscribe
        )
    app.state.deliverer = deliverer
    guard_loop = None
    if runtime.live_reads and runtime.settings.guard_interval > 0:
        guard_loop = GuardLoop(runtime.unit_of_work, runtime.settings.guard_interval)
        guard_loop.start()
    app.state.guard = guard_loop
    scheduler = None
    if runtime.live_reads:  # a scheduled change request applies at its time
        postgres = runtime.engine.dialect.name == "postgresql"
        scheduler = SchedulerLoop(
            runtime.unit_of_work,
            SCHEDULER_HEARING,
            subscribe=runtime.live.subscribe,
            ahead=SCHEDULER_AHEAD if postgres else 0.0,
        )
        scheduler.start()
    moments = None
    if runtime.live_reads:  # a scheduled price taking effect, a sunset passing: announced once
        moments = MomentsLoop(runtime.unit_of_work)
        moments.start()
    yield
    if moments is not None:
        moments.close()
    if scheduler is not None:
        scheduler.close()
    if guard_loop is not None:
        guard_loop.close()
    if deliverer is not None:
        await asyncio.to_thread(deliverer.stop)
    if app.state.owns_runtime:
        runtime.close()
