"""The ``modelplane`` command: a thin face over the services and the read path.

Each command group may live in its own module under ``modelplane.cli`` and register
its Typer app here.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import ModelplaneError, NotFound
from modelplane.domain.models import CAPABILITIES, STATUSES, Model
from modelplane.domain.reader import ModelFilter
from modelplane.settings import Settings

app = typer.Typer(
    no_args_is_help=True, help="modelplane: model catalogue and router control plane."
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
models_app = typer.Typer(no_args_is_help=True, help="Read the model catalogue.")
router_app = typer.Typer(no_args_is_help=True, help="Read the router's dials and profiles.")
app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(router_app, name="router")

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 250)
err = Console(stderr=True, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape).")]


class _State:
    database_url: str | None = None
    runtime: Runtime | None = None


_state = _State()


@app.callback()
def _main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="MODELPLANE_DATABASE_URL",
            help="SQLAlchemy URL; default: an SQLite file in the user data directory.",
            show_default=False,
        ),
    ] = None,
) -> None:
    _state.database_url = database_url
    _state.runtime = None
    ctx.call_on_close(_close_runtime)


def _close_runtime() -> None:
    if _state.runtime is not None:
        _state.runtime.close()
        _state.runtime = None


def runtime() -> Runtime:
    if _state.runtime is None:
        try:
            settings = Settings()
        except ValidationError as exc:
            problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            fail(f"invalid setting: {problems}")
        if _state.database_url:
            settings = settings.model_copy(update={"database_url": _state.database_url})
        _state.runtime = Runtime(settings)
    return _state.runtime


def fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(1)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Domain errors become one line on stderr and exit status 1, never a traceback."""
    try:
        yield
    except NotFound as exc:
        fail(str(exc))
    except ModelplaneError as exc:
        fail(str(exc))


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for i, header in enumerate(headers):
        # Every column keeps its full values; only the last may wrap when the line is long.
        last = i == len(headers) - 1
        table.add_column(header, no_wrap=not last, overflow="fold" if last else "ignore")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    out.print(table)


# db ----------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from modelplane.store import migrate

    with friendly_errors():
        migrate.upgrade(_reachable_engine(), revision)
        out.print(f"database at revision {migrate.current_revision(runtime().engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Undo migrations down to REVISION."""
    from modelplane.store import migrate

    with friendly_errors():
        migrate.downgrade(_reachable_engine(), revision)
        out.print(f"database at revision {migrate.current_revision(runtime().engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    from modelplane.store import migrate

    with friendly_errors():
        engine = _reachable_engine()
        out.print(migrate.current_revision(engine) or "base")


def _reachable_engine() -> Any:
    from modelplane.store.unit_of_work import ping

    engine = runtime().engine
    ping(engine)
    return engine


# seed --------------------------------------------------------------------------------------


@app.command("seed")
def seed_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report, write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load the bundled static tables; whatever exists already is skipped."""
    from modelplane.services.seed import seed

    with friendly_errors():
        report = seed(_reachable_engine(), dry_run=dry_run)
    if as_json:
        print_json(report.to_json())
        return
    verb = "would create" if dry_run else "created"
    rows = [(k, len(report.created[k]), len(report.skipped[k])) for k in report.created]
    print_table(["kind", verb, "skipped"], rows)
    unprofiled = report.default_score_models
    out.print(
        f"\n{len(unprofiled)} active models would route on the default score (no profile)"
        + (f": {', '.join(unprofiled)}" if unprofiled else ".")
    )
    if report.disagreements:
        out.print(
            f"\n{len(report.disagreements)} disagreements between the router's table "
            "and the catalogue (the catalogue wins):"
        )
        print_table(
            ["model", "field", "catalogue", "router"],
            [
                (d.model_id, d.field, _show(d.catalogue), _show(d.router))
                for d in report.disagreements
            ],
        )


def _show(value: Any) -> str:
    return (
        json.dumps(value) if isinstance(value, list | dict | bool) or value is None else str(value)
    )


# models ------------------------------------------------------------------------------------


def _model_rows(models: Sequence[Model]) -> list[tuple[object, ...]]:
    return [
        (
            m.id,
            m.name,
            m.provider,
            m.pricing.input,
            m.pricing.output,
            m.context_window,
            m.status,
            ",".join(m.capabilities),
        )
        for m in models
    ]


_MODEL_HEADERS = ["id", "name", "provider", "input", "output", "context", "status", "capabilities"]


def _print_models(models: Sequence[Model], as_json: bool) -> None:
    if as_json:
        print_json({"data": [m.to_json() for m in models], "count": len(models)})
    else:
        print_table(_MODEL_HEADERS, _model_rows(models))


def _choice(value: str | None, allowed: Sequence[str], option: str) -> str | None:
    if value is not None and value not in allowed:
        fail(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return value


@models_app.command("list")
def models_list(
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    status: Annotated[str | None, typer.Option(help="active, beta or deprecated.")] = None,
    capability: Annotated[str | None, typer.Option(help="Only models with it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List models."""
    filters = ModelFilter(
        provider=provider,
        status=_choice(status, STATUSES, "--status"),
        capability=_choice(capability, CAPABILITIES, "--capability"),
    )
    with friendly_errors():
        _print_models(runtime().reader.models(filters), as_json)


@models_app.command("show")
def models_show(model_id: str, as_json: JsonOpt = False) -> None:
    """Show one model."""
    with friendly_errors():
        model = runtime().reader.get(model_id)
    if as_json:
        print_json(model.to_json())
        return
    data = model.to_json()
    print_table(["field", "value"], [(k, _show(v)) for k, v in data.items()])


@models_app.command("search")
def models_search(
    text: str,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search ids, names, descriptions and providers; exact matches first."""
    with friendly_errors():
        _print_models(runtime().reader.search(text, limit), as_json)


# router ------------------------------------------------------------------------------------


@router_app.command("config")
def router_config(as_json: JsonOpt = False) -> None:
    """Show every router dial."""
    with friendly_errors():
        config = runtime().reader.router_config()
    data = config.to_json()
    if as_json:
        print_json(data)
        return
    from modelplane.domain.history import flatten

    print_table(["dial", "value"], [(k, _show(v)) for k, v in flatten(data).items()])


@router_app.command("profiles")
def router_profiles(as_json: JsonOpt = False) -> None:
    """Show each model's quality and category scores."""
    with friendly_errors():
        reader = runtime().reader
        profiles = reader.profiles()
        categories = [c.id for c in reader.categories()]
    if as_json:
        print_json({"data": [p.to_json() for p in profiles], "count": len(profiles)})
        return
    rows = [
        (p.model_id, p.quality_score, *(p.category_scores.get(c, "") for c in categories))
        for p in profiles
    ]
    print_table(["model", "quality", *categories], rows)


# serve -------------------------------------------------------------------------------------


@app.command("serve")
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
            migrate.upgrade(_reachable_engine())
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
        timeout_graceful_shutdown=2,  # change streams never end by themselves
    )


from modelplane.cli.live import watch_command  # noqa: E402

app.command("watch")(watch_command)

from modelplane.cli.route import route_command  # noqa: E402

app.command("route")(route_command)
from modelplane.cli.replay import replay_command  # noqa: E402

router_app.command("replay")(replay_command)

from modelplane.cli.classify import classify_command  # noqa: E402

app.command("classify")(classify_command)

from modelplane.cli.manage import register as _register_writes  # noqa: E402

_register_writes(app, models_app)

from modelplane.cli.users import register as _register_users  # noqa: E402

_register_users(app)

from modelplane.cli.rollout import register as _register_rollout  # noqa: E402

_register_rollout(app)

from modelplane.cli.stats import register as _register_stats  # noqa: E402

_register_stats(app)


def _first_admin(rt: Runtime) -> None:
    from modelplane.services.users import ensure_first_admin

    with friendly_errors():
        password = ensure_first_admin(rt.unit_of_work, "serve --setup")
    if password is not None:
        out.print(
            "created the first console user: [bold]admin[/bold] / "
            f"[bold]{password}[/bold] (shown once; change it under Users)",
            highlight=False,
        )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    app(args=argv)


_: Callable[..., Any] = main
