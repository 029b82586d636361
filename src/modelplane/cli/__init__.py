"""The ``modelplane`` command: a thin face over the services and the read path.

Each command module under ``modelplane.cli`` adds its commands to the Typer app in
``cli/app.py`` through the one list below; helpers for printing are in ``cli/output.py``.
No module imports ``modelplane.cli`` itself.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import typer

from modelplane.cli import (
    audit,
    changes,
    classify,
    db,
    fleet,
    live,
    manage,
    prices,
    reads,
    replay,
    rollout,
    route,
    router_writes,
    seed,
    serve,
    stats,
    sync,
    users,
    webhooks,
)
from modelplane.cli.app import app

__all__ = ["app", "main"]


def _command(name: str, function: Callable[..., Any]) -> Callable[[typer.Typer], None]:
    def register(app: typer.Typer) -> None:
        app.command(name)(function)

    return register


# One entry per command module, in the order ``modelplane --help`` lists them.
_REGISTRATIONS: tuple[Callable[[typer.Typer], None], ...] = (
    db.register,
    seed.register,
    reads.register,
    serve.register,
    live.register,
    _command("route", route.route_command),
    replay.register,
    _command("classify", classify.classify_command),
    manage.register,
    prices.register,
    users.register,
    rollout.register,
    router_writes.register,
    stats.register,
    webhooks.register,
    sync.register,
    fleet.register,
    audit.register,
    changes.register,
)
for _register in _REGISTRATIONS:
    _register(app)


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", stream=sys.stderr)
    app(args=argv)
