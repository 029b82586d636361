"""``modelplane audit``: every change of every kind, filtered; as a table, JSON, CSV or
JSON Lines, from the database or a server."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import fail, out, print_json, print_table
from modelplane.domain.audit import MAX_PAGE

Format = Annotated[
    str,
    typer.Option(
        "--format",
        help="table (one page), json (one page), csv or jsonl (every matching entry).",
    ),
]


def audit_command(
    kind: Annotated[
        str | None, typer.Option("--kind", help="model, router_config, profile, flag, …")
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Who made the change.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="ISO 8601 time or date.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="ISO 8601 time or date.")] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="The document's id.")] = None,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE)] = 50,
    fmt: Format = "table",
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Who changed what, when, why, and through which face (api, console, cli)."""
    if fmt not in ("table", "json", "csv", "jsonl"):
        fail(f"--format {fmt!r}: one of table, json, csv, jsonl")
    filters = {"kind": kind, "actor": actor, "since": since, "until": until, "entity_id": entity_id}
    with backend(server, token) as b:
        if fmt in ("csv", "jsonl"):
            sys.stdout.write(b.audit_export(filters, fmt))
            return
        page = b.audit_page(filters, offset, limit)
    if fmt == "json":
        print_json(page)
        return
    print_table(
        ["at", "kind", "id", "version", "action", "actor", "face", "reason", "fields"],
        [
            (
                e["at"],
                e["kind"],
                e["id"],
                e["version"],
                e["action"],
                e["actor"],
                e["face"],
                e["reason"],
                ", ".join(c["field"] for c in e["changes"]),
            )
            for e in page["data"]
        ],
    )
    shown = page["offset"] + page["count"]
    if page["total"] > shown:
        out.print(f"{page['total'] - shown} more: --offset {shown}")


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_command)
