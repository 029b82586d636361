"""The ``modelplane`` Typer app, its global options, and the process's one ``Runtime``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError

from modelplane.bootstrap import Runtime
from modelplane.cli.output import fail
from modelplane.settings import Settings

app = typer.Typer(
    no_args_is_help=True, help="modelplane: model catalogue and router control plane."
)
# Shared by the read commands (cli/reads.py) and the write commands (cli/manage.py).
models_app = typer.Typer(no_args_is_help=True, help="Read the model catalogue.")


class _State:
    database_url: str | None = None
    emergency_override: str | None = None
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
    emergency_override: Annotated[
        str | None,
        typer.Option(
            "--emergency-override",
            metavar="REASON",
            help=(
                "An admin's emergency override: this command's writes pass the approval "
                "policies, marked 'emergency override: REASON' in their history."
            ),
            show_default=False,
        ),
    ] = None,
) -> None:
    _state.database_url = database_url
    _state.emergency_override = emergency_override
    _state.runtime = None
    ctx.call_on_close(_close_runtime)


def _close_runtime() -> None:
    if _state.runtime is not None:
        _state.runtime.close()
        _state.runtime = None


def runtime() -> Runtime:
    """The command's runtime, built on first use from the settings and ``--database-url``."""
    if _state.runtime is None:
        try:
            settings = Settings()
        except ValidationError as exc:
            problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            fail(f"invalid setting: {problems}")
        if _state.database_url:
            settings = settings.model_copy(update={"database_url": _state.database_url})
        _state.runtime = Runtime(settings, face="cli")
    return _state.runtime


def emergency_override() -> str | None:
    """The global ``--emergency-override`` reason, if one was given."""
    return _state.emergency_override


def reachable_engine() -> Any:
    """The runtime's engine, once it has answered a ping (else a domain error)."""
    from modelplane.store.unit_of_work import ping

    engine = runtime().engine
    ping(engine)
    return engine
