"""``modelplane sync {litellm|openrouter|modelsdev} PATH_OR_URL``: take in a public catalogue;
``modelplane sync runs``: the last sync of each source; ``modelplane models replace OLD NEW``:
move every reference to a successor (the lifecycle step a sync's deprecations lead to)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from modelplane.cli.app import models_app
from modelplane.cli.backends import Backend, SyncRequest
from modelplane.cli.changes import show_request
from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import JsonOpt, err, out, print_json, print_table
from modelplane.domain.catalogue_sources import SOURCES, SourceName
from modelplane.domain.errors import ModelplaneError
from modelplane.services import sync as sync_svc

sync_app = typer.Typer(
    no_args_is_help=True,
    help="Sync models and prices from a public catalogue (LiteLLM, OpenRouter, models.dev).",
)

LocationArg = Annotated[str, typer.Argument(help="A file path or an http(s) URL.")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show the diff; write nothing.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why; kept in the history.")]
ProviderOpt = Annotated[
    list[str] | None, typer.Option("--provider", help="Only this provider (repeatable).")
]
OnlyOpt = Annotated[
    list[str] | None, typer.Option("--only", help="Only this model id (repeatable).")
]
OverwriteOpt = Annotated[
    bool, typer.Option("--overwrite", help="Take the source's value over a person's edit.")
]
AcceptHeldOpt = Annotated[
    bool,
    typer.Option("--accept-held", help="Apply prices held for an implausible jump too."),
]
ChangeRequestOpt = Annotated[
    bool,
    typer.Option(
        "--change-request",
        help="Open a change request holding the diff instead of applying it (what an "
        "approval policy on syncs or models asks for).",
    ),
]
TitleOpt = Annotated[
    str | None, typer.Option("--title", help="The change request's title (--change-request).")
]
EveryOpt = Annotated[
    str | None, typer.Option("--every", help="Repeat at this interval (90s, 15m, 6h, 1d).")
]


def _command(source: SourceName) -> Callable[..., None]:
    def command(
        location: LocationArg,
        dry_run: DryRunOpt = False,
        reason: ReasonOpt = None,
        provider: ProviderOpt = None,
        only: OnlyOpt = None,
        overwrite: OverwriteOpt = False,
        accept_held: AcceptHeldOpt = False,
        change_request: ChangeRequestOpt = False,
        title: TitleOpt = None,
        every: EveryOpt = None,
        server: ServerOpt = None,
        token: TokenOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        request = SyncRequest(
            source=source,
            location=location,
            dry_run=dry_run,
            reason=reason,
            providers=tuple(provider or ()),
            only=tuple(only or ()),
            overwrite=overwrite,
            accept_held=accept_held,
            change_request=change_request,
            title=title,
        )

        def once(b: Backend) -> None:
            answer = b.sync(request)
            if as_json:
                print_json(answer)
            elif change_request:
                print_report(answer["sync"])
                show_request(answer, False)
            else:
                print_report(answer)

        with backend(server, token) as b:
            if every is None:
                once(b)
                return
            seconds = sync_svc.parse_interval(every)

            def repeated() -> None:
                try:
                    once(b)
                except ModelplaneError as exc:  # a failed run is logged; the loop goes on
                    err.print(f"error: {exc}", markup=False, highlight=False)

            sync_svc.sync_every(repeated, seconds)

    command.__doc__ = (
        f"Sync from {source}: show the diff, and apply it in one transaction unless --dry-run "
        "(or open a change request holding it, with --change-request --title)."
    )
    return command


def runs_command(
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """The last sync of each source, and the most recent runs."""
    with backend(server, token) as b:
        runs = b.sync_runs()
    if as_json:
        print_json(runs)
        return
    rows = [
        (
            r["source"],
            r["finishedAt"],
            r["author"],
            "applied" if r["applied"] else ("failed" if r["errors"] else "no change"),
            ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v),
            "; ".join(r["errors"][:3]),
        )
        for r in runs["latest"]
    ]
    print_table(["source", "when", "who", "result", "counts", "errors"], rows)


def print_report(report: dict[str, Any]) -> None:
    """The diff as a table, then what was held, kept or left out."""
    rows: list[tuple[object, ...]] = [("created", c["id"], "", "", "") for c in report["created"]]
    for u in report["updated"]:
        rows += [("updated", u["id"], c["field"], _v(c["old"]), _v(c["new"])) for c in u["changes"]]
    for c in report["conflicts"]:
        rows.append(("conflict", c["id"], c["field"], _v(c["current"]), _v(c["upstream"])))
    for h in report["held"]:
        rows.append(("held", h["id"], h["field"], _v(h["old"]), _v(h["new"])))
    rows += [("not upstream", model_id, "", "", "") for model_id in report["notUpstream"]]
    rows += [("error", e["id"], e["field"], "", e["message"]) for e in report["errors"]]
    if rows:
        print_table(["change", "id", "field", "old", "new"], rows)
    counts = report["counts"]
    verb = "would change" if report["dryRun"] else "changed"
    out.print(
        f"{verb} {report['changeCount']} (created {counts['created']}, updated "
        f"{counts['updated']}), unchanged {counts['unchanged']}, conflicts "
        f"{counts['conflicts']}, held {counts['held']}, not upstream {counts['notUpstream']}, "
        f"skipped {counts['skipped']}, errors {counts['errors']}",
        highlight=False,
    )
    if report["unmapped"]:
        listed = ", ".join(f"{k} ({n})" for k, n in report["unmapped"].items())
        out.print(f"unmapped upstream fields: {listed}", highlight=False, markup=False)
    for warning in report["warnings"]:
        out.print(f"warning: {warning}", highlight=False, markup=False)


def _v(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value)


def register(app: typer.Typer) -> None:
    for source in SOURCES:
        sync_app.command(source)(_command(source))
    sync_app.command("runs")(runs_command)
    app.add_typer(sync_app, name="sync")
    models_app.command("replace")(replace_command)


def replace_command(
    old: Annotated[str, typer.Argument(help="The model to replace.")],
    new: Annotated[str, typer.Argument(help="The model that replaces it.")],
    dry_run: DryRunOpt = False,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move every reference from OLD to NEW as one change, then deprecate OLD."""
    with backend(server, token) as b:
        report = b.replace_model(old, new, dry_run, reason)
    if as_json:
        print_json(report)
        return
    rows: list[tuple[object, ...]] = [
        ("routerConfig", c["field"], _v(c["old"]), _v(c["new"])) for c in report["routerConfig"]
    ]
    for e in report["experiments"]:
        rows += [
            (f"experiment {e['name']}", c["field"], _v(c["old"]), _v(c["new"]))
            for c in e["changes"]
        ]
    rows += [(old, c["field"], _v(c["old"]), _v(c["new"])) for c in report["model"]]
    if rows:
        print_table(["what", "field", "old", "new"], rows)
    out.print(f"profile: {report['profile']}", highlight=False, markup=False)
    verb = "would replace" if dry_run else "replaced"
    out.print(f"{verb} {old} by {new}: {report['reason']}", highlight=False, markup=False)
