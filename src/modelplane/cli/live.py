"""``modelplane watch``: print every change as it lands."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from typing import Annotated

import typer

from modelplane.cli.app import runtime
from modelplane.domain.changes import Change


def register(app: typer.Typer) -> None:
    app.command("watch")(watch_command)


def _print_event(event: Change, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(event.json_text() + "\n")
    else:
        sys.stdout.write(f"{event.sequence:>8}  {event.kind:<14} {', '.join(event.ids)}\n")
    sys.stdout.flush()


def watch_command(
    server: Annotated[
        str | None,
        typer.Option(envvar="MODELPLANE_SERVER", help="Follow a running server's change stream."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many changes.")] = None,
) -> None:
    """Print each change (sequence, kind, ids) as it lands, from the database or a server."""
    if server:
        _watch_server(server.rstrip("/"), as_json, count)
    else:
        _watch_database(as_json, count)


def _watch_server(server: str, as_json: bool, count: int | None) -> None:
    import httpx

    seen = 0
    with httpx.stream("GET", f"{server}/api/v1/events", timeout=None) as response:
        response.raise_for_status()
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: ") and name == "change":
                _print_event(Change.from_json(json.loads(line.removeprefix("data: "))), as_json)
                seen += 1
                if count is not None and seen >= count:
                    return


def _watch_database(as_json: bool, count: int | None) -> None:
    live = runtime().live
    done = threading.Event()
    seen = 0

    def on_change(event: Change) -> None:
        nonlocal seen
        _print_event(event, as_json)
        seen += 1
        if count is not None and seen >= count:
            done.set()

    live.subscribe(on_change)
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
