"""``modelplane db``: the schema's migrations."""

from __future__ import annotations

import typer

from modelplane.cli.app import reachable_engine, runtime
from modelplane.cli.output import friendly_errors, out

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from modelplane.store import migrate

    with friendly_errors():
        migrate.upgrade(reachable_engine(), revision)
        out.print(f"database at revision {migrate.current_revision(runtime().engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Undo migrations down to REVISION."""
    from modelplane.store import migrate

    with friendly_errors():
        migrate.downgrade(reachable_engine(), revision)
        out.print(f"database at revision {migrate.current_revision(runtime().engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision the database is at."""
    from modelplane.store import migrate

    with friendly_errors():
        engine = reachable_engine()
        out.print(migrate.current_revision(engine) or "base")
