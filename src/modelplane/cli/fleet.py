"""``modelplane fleet``: every serving process, the change it serves and its lag."""

from __future__ import annotations

import typer

from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import JsonOpt, out, print_json, print_table


def fleet_command(
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Every serving process (from its heartbeats): the change sequence it serves, its lag
    behind the database in changes and milliseconds, and whether it is degraded, behind or
    silent."""
    with backend(server, token) as b:
        status = b.fleet()
    if as_json:
        print_json(status)
        return
    out.print(f"database sequence {status['sequence']}")
    print_table(
        ["host", "pid", "sequence", "lag", "lag ms", "last seen", "state"],
        [
            (
                p["host"],
                p["pid"],
                p["sequence"],
                p["lagChanges"],
                p["lagMs"],
                p["lastSeen"],
                _state(p),
            )
            for p in status["processes"]
        ],
    )


def _state(process: dict[str, object]) -> str:
    states = [name for name in ("silent", "degraded", "behind") if process.get(name)]
    return ", ".join(states) or "ok"


def register(app: typer.Typer) -> None:
    app.command("fleet")(fleet_command)
