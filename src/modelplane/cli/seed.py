"""``modelplane seed``: load the bundled static tables."""

from __future__ import annotations

from typing import Annotated

import typer

from modelplane.cli.app import reachable_engine
from modelplane.cli.output import JsonOpt, friendly_errors, out, print_json, print_table, show_value


def register(app: typer.Typer) -> None:
    app.command("seed")(seed_command)


def seed_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report, write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load the bundled static tables; whatever exists already is skipped."""
    from modelplane.services.seed import seed

    with friendly_errors():
        report = seed(reachable_engine(), dry_run=dry_run)
    if as_json:
        print_json(report.to_json())
        return
    verb = "would create" if dry_run else "created"
    rows = [(k, len(report.created[k]), len(report.skipped[k])) for k in report.created]
    print_table(["kind", verb, "skipped"], rows)
    if report.disagreements:
        out.print(
            f"\n{len(report.disagreements)} disagreements between the router's table "
            "and the catalogue (the catalogue wins):"
        )
        print_table(
            ["model", "field", "catalogue", "router"],
            [
                (d.model_id, d.field, show_value(d.catalogue), show_value(d.router))
                for d in report.disagreements
            ],
        )
