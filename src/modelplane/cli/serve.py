"""``modelplane serve``: the HTTP API and console under uvicorn."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelplane.bootstrap import Runtime
from modelplane.cli.app import reachable_engine, runtime
from modelplane.cli.output import friendly_errors, out
from modelplane.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    setup: Annotated[
        bool, typer.Option("--setup", help="Migrate and seed before serving.")
    ] = False,
) -> None:
    """Serve the HTTP API and console. Each worker keeps a live snapshot of the catalogue."""
    import os

    import uvicorn

    rt = runtime()
    if setup:
        from modelplane.services.seed import seed
        from modelplane.store import migrate

        with friendly_errors():
            migrate.upgrade(reachable_engine())
            report = seed(rt.engine)
        out.print(f"database ready: {report.created_count} rows seeded")
        if rt.settings.environment == "development":
            _first_admin(rt)
    # Workers are separate processes: they read their settings from the environment.
    os.environ["MODELPLANE_DATABASE_URL"] = rt.settings.database_url
    rt.close()
    bind_host = host or rt.settings.host
    bind_port = port or rt.settings.port
    base = f"http://{bind_host}:{bind_port}"
    out.print(
        f"modelplane serving at {base}/ ({workers} worker(s)): console {base}/admin, "
        f"API docs {base}/docs",
        highlight=False,
    )
    uvicorn.run(
        "modelplane.api.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        log_level="info",
        access_log=rt.settings.access_log,
        timeout_graceful_shutdown=2,  # change streams never end by themselves
        **proxy_options(rt.settings),
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options from ``MODELPLANE_TRUSTED_PROXIES`` only. uvicorn by itself
    believes ``X-Forwarded-For`` from 127.0.0.1 (or ``FORWARDED_ALLOW_IPS``), which would let
    anyone on the host pose as any client address; with no trusted proxy the headers are
    not read at all."""
    trusted = sorted(settings.trusted_proxies)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": ",".join(trusted)}


def _first_admin(rt: Runtime) -> None:
    from modelplane.services.users import ensure_first_admin

    with friendly_errors():
        password = ensure_first_admin(
            rt.unit_of_work, "serve --setup", hashing=rt.settings.password_hashing
        )
    if password is not None:
        out.print(
            "created the first console user: [bold]admin[/bold] / "
            f"[bold]{password}[/bold] (shown once; change it under Users)",
            highlight=False,
        )
