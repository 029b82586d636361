"""``modelplane models price``: a model's price at any moment, and its timeline."""

from __future__ import annotations

from typing import Annotated

import typer

from modelplane.cli.app import models_app
from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import fail, out, print_json, print_table
from modelplane.domain.prices import parse_moment


def price_command(
    model_id: str,
    at: Annotated[
        str | None,
        typer.Option("--at", help="An ISO 8601 time, e.g. 2027-01-01T00:00:00Z (default: now)."),
    ] = None,
    timeline: Annotated[
        bool, typer.Option("--timeline", help="Also list every dated price, past and scheduled.")
    ] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The model's price in force at a moment (now by default)."""
    try:
        if at:
            parse_moment(at)
    except ValueError as exc:
        fail(f"--{exc}")
    with backend(server, token) as b:
        answer = b.price_at(model_id, at)
        entries = b.price_timeline(model_id) if timeline else []
    if as_json:
        print_json({**answer, "timeline": entries} if timeline else answer)
        return
    since = answer["effectiveFrom"] or "always"
    out.print(f"{answer['id']} at {answer['at']} (in force since {since}):")
    pricing = answer["pricing"]
    assert isinstance(pricing, dict)
    print_table(["price", "USD per 1M tokens"], list(pricing.items()))
    if timeline:
        rows = [
            (e["effectiveFrom"] or "always", e["state"], e["pricing"], e["recordedBy"] or "")
            for e in entries
        ]
        print_table(["from", "state", "pricing", "by"], rows)


def register(app: typer.Typer) -> None:
    models_app.command("price")(price_command)
