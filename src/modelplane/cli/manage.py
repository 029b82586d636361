"""CLI writes: models, bulk export and import, and tokens.

Each command talks to the database directly, or to a running server when ``--server`` (or
``MODELPLANE_SERVER``) is given, with ``--token`` (or ``MODELPLANE_TOKEN``). The JSON they
print is the API's in both cases.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from modelplane.cli.app import emergency_override, models_app, runtime
from modelplane.cli.backends import Backend, DirectBackend, HttpBackend, cli_author
from modelplane.cli.output import (
    BOM,
    JsonOpt,
    fail,
    friendly_errors,
    out,
    print_json,
    print_table,
    read_text,
)
from modelplane.cli.stats import usage_app
from modelplane.services import versioned

tokens_app = typer.Typer(no_args_is_help=True, help="API tokens (shown once, stored hashed).")
providers_app = typer.Typer(no_args_is_help=True, help="Model providers.")

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="MODELPLANE_SERVER",
        help="A running server's URL; without it, the database is used directly.",
        show_default=False,
    ),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        "--token", envvar="MODELPLANE_TOKEN", help="Bearer token for --server.", show_default=False
    ),
]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why; kept in the history.")]
ExpectedOpt = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        min=0,
        help="Refuse the write unless the model is still at this version "
        "(default: the version current when the command runs).",
    ),
]
PROGRESS_FROM_BYTES = 1024 * 1024


@contextmanager
def backend(server: str | None, token: str | None) -> Iterator[Backend]:
    """The backend for one command; its errors become one line on stderr and exit 1."""
    override = emergency_override()
    with friendly_errors():
        if server:
            remote = HttpBackend.connect(server, token, override)
            try:
                yield remote
            finally:
                remote.close()
        elif override is None:
            yield DirectBackend(runtime(), cli_author())
        else:  # on the database itself the CLI acts as its owner (the admin role)
            why = versioned.override_reason(cli_author(), "admin", override, "--emergency-override")
            with versioned.overriding(why):
                yield DirectBackend(runtime(), cli_author())


# models ------------------------------------------------------------------------------------


def create(
    file: Annotated[str, typer.Argument(help="A model as JSON (the API's shape); - for stdin.")],
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a model from a JSON document."""
    document = _json_object(_read_text(file), file)
    with backend(server, token) as b:
        _show_model(b.create_model(document, reason), "created", as_json)


def update(
    model_id: str,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="FIELD=VALUE, e.g. pricing.input=3 (VALUE as JSON if it is)."),
    ] = None,
    file: Annotated[
        str | None, typer.Option("--file", help="A partial model as JSON; - for stdin.")
    ] = None,
    expected: ExpectedOpt = None,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
    effective_from: Annotated[
        str | None,
        typer.Option(
            "--effective-from",
            help="Schedule the pricing change from this ISO 8601 time on "
            "(e.g. 2027-01-01T00:00:00Z); only pricing.* may be set.",
        ),
    ] = None,
) -> None:
    """Change some of a model's fields; nested objects merge."""
    patch = _json_object(_read_text(file), file) if file else {}
    for assignment in set_ or []:
        assign(patch, assignment)
    if not patch:
        fail("nothing to change: give --set FIELD=VALUE or --file")
    if effective_from is not None:
        others = sorted(set(patch) - {"pricing"})
        if others or not isinstance(patch.get("pricing"), dict):
            fail(f"--effective-from schedules prices only: remove {', '.join(others) or 'it'}")
        with backend(server, token) as b:
            answer = b.schedule_price(model_id, patch["pricing"], effective_from, reason)
        if as_json:
            print_json(answer)
        else:
            out.print(f"{answer['id']}: new price scheduled from {answer['effectiveFrom']}")
        return
    with backend(server, token) as b:
        _show_model(b.update_model(model_id, patch, expected, reason), "updated", as_json)


def deprecate(
    model_id: str,
    expected: ExpectedOpt = None,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deprecate a model."""
    with backend(server, token) as b:
        _show_model(b.set_status(model_id, True, expected, reason), "deprecated", as_json)


def reactivate(
    model_id: str,
    expected: ExpectedOpt = None,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reactivate a deprecated model (to the status it had before)."""
    with backend(server, token) as b:
        _show_model(b.set_status(model_id, False, expected, reason), "reactivated", as_json)


def retire(
    model_id: str,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is retired for good; kept in the history.")
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Retire a model for good (admins): hidden from every list, its id reserved."""
    with backend(server, token) as b:
        answer = b.retire(model_id, reason)
    if as_json:
        print_json(answer)
    else:
        out.print(f"{answer['modelId']} retired for good: its id stays reserved")


def bulk_status(
    ids: Annotated[list[str], typer.Argument(help="The model ids.", show_default=False)],
    status: Annotated[
        str, typer.Option("--status", help="active or deprecated.", show_default=False)
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept in every model's history.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deprecate or activate many models with one reason, in one transaction."""
    with backend(server, token) as b:
        answer = b.bulk_status(ids, status, reason)
    if as_json:
        print_json(answer)
        return
    out.print(f"{len(answer['changed'])} now {answer['status']}")
    if answer["unchanged"]:
        out.print(f"{len(answer['unchanged'])} already {answer['status']}, left alone")


def duplicate(
    model_id: str,
    new_id: Annotated[
        str | None, typer.Option("--new-id", help="Default: the id with -copy added.")
    ] = None,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Copy a model to a new id."""
    with backend(server, token) as b:
        _show_model(b.duplicate(model_id, new_id, reason), "created", as_json)


def history(
    model_id: str,
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="Show the whole model at a version.")
    ] = None,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A model's versions, newest first (or one whole version with --version)."""
    with backend(server, token) as b:
        data = b.model_at(model_id, version) if version else b.history(model_id, offset, limit)
    if as_json:
        print_json(data)
    elif version:
        print_table(["field", "value"], [(k, _show(v)) for k, v in data.items()])
    else:
        print_table(
            ["version", "change", "at", "author", "reason", "changes"],
            [
                (
                    e["version"],
                    e["changeType"],
                    e["at"],
                    e["author"],
                    e.get("reason"),
                    _changes_text(e["changes"]),
                )
                for e in data["data"]
            ],
        )
        out.print(f"{data['count']} of {data['total']} versions (offset {data['offset']})")


def rollback(
    model_id: str,
    version: Annotated[int, typer.Argument(min=1, help="The version to restore.")],
    expected: ExpectedOpt = None,
    reason: ReasonOpt = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a model as it was at VERSION, as a new version."""
    with backend(server, token) as b:
        _show_model(b.rollback(model_id, version, expected, reason), "rolled back", as_json)


# bulk --------------------------------------------------------------------------------------


def export_command(
    file: Annotated[Path | None, typer.Argument(help="Write here; default: stdout.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Export providers, categories, models, profiles and router config as one JSON file."""
    with backend(server, token) as b:
        document = b.export()
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if file is None:
        sys.stdout.write(text)
        return
    file.write_text(text, encoding="utf-8")
    counts = ", ".join(f"{len(document[k] or [])} {k}" for k in ("models", "profiles"))
    out.print(f"exported {counts} to {file}")


_FORCE_HELP = "Overwrite documents changed since the export; needs --reason."
_SKIP_HELP = "Import all but the documents changed since the export."


def import_command(
    file: Annotated[Path, typer.Argument(help="An export (or part of one), as JSON.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff; write nothing.")] = (
        False
    ),
    reason: ReasonOpt = None,
    force: Annotated[bool, typer.Option("--force", help=_FORCE_HELP)] = False,
    skip_conflicts: Annotated[bool, typer.Option("--skip-conflicts", help=_SKIP_HELP)] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a document in one transaction, all or nothing; the diff is printed as a table.

    A document changed since the export the file was taken from is a conflict: the import is
    refused whole unless --skip-conflicts or --force with --reason."""
    if force and skip_conflicts:
        fail("choose one of --force and --skip-conflicts")
    if force and not reason and not dry_run:
        fail("--force needs --reason (kept in the history of what it overwrites)")
    on_conflict = "force" if force else "skip" if skip_conflicts else "refuse"
    raw = _read_with_progress(file)
    with backend(server, token) as b:
        report = b.import_document(raw, dry_run, reason, on_conflict)
    if as_json:
        print_json(report)
        return
    _print_diff(report)


# tokens ------------------------------------------------------------------------------------


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option("--name", help="Recorded as the author of its writes.")],
    role: Annotated[str, typer.Option("--role", help="admin, editor, viewer or ingest.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="Limit the token to this scope (repeatable): read, route, ingest, "
            "write:model, write:flag, ... (see README). None: its role alone decides.",
        ),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help="When it stops working: a moment (2027-01-01T00:00:00Z) or a lifetime "
            "(30d, 12h, 90m, 2w).",
        ),
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token. It is printed this once; only its hash is kept."""
    with backend(server, token) as b:
        created = b.create_token(name, role, scope or None, expires)
    if as_json:
        print_json(created)
        return
    limits = f"; scopes {', '.join(created['scopes'])}" if created.get("scopes") else ""
    until = f"; expires {created['expiresAt']}" if created.get("expiresAt") else ""
    out.print(
        f"token {created['name']!r} ({created['role']}{limits}{until}); shown once, keep it now:"
    )
    sys.stdout.write(created["token"] + "\n")


@tokens_app.command("list")
def tokens_list(server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """List tokens: names, roles and use, never the tokens themselves."""
    with backend(server, token) as b:
        listed = b.list_tokens()
    if as_json:
        print_json(listed)
        return
    rows = [
        (
            t["name"],
            t["role"],
            " ".join(t.get("scopes") or ()) or "(role)",
            t["createdAt"],
            t.get("expiresAt") or "never",
            t["lastUsedAt"],
            _token_state(t),
        )
        for t in listed["data"]
    ]
    print_table(["name", "role", "scopes", "created", "expires", "last used", "state"], rows)


def _token_state(t: dict[str, Any]) -> str:
    if t["revokedAt"]:
        return f"revoked {t['revokedAt']}"
    return "EXPIRED" if t.get("expired") else "active"


@tokens_app.command("revoke")
def tokens_revoke(
    name: str, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Revoke a token: it stops working at once."""
    with backend(server, token) as b:
        revoked = b.revoke_token(name)
    if as_json:
        print_json(revoked)
    else:
        out.print(f"token {name!r} revoked")


# providers and usage ----------------------------------------------------------------------


@providers_app.command("create")
def providers_create(
    provider_id: Annotated[str, typer.Option("--id", help="e.g. acme (lower case).")],
    display_name: Annotated[str, typer.Option("--name", help="Shown to people.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a provider, so that models of it can be created at once."""
    with backend(server, token) as b:
        created = b.create_provider({"id": provider_id, "displayName": display_name})
    if as_json:
        print_json(created)
    else:
        out.print(f"provider {created['id']} added")


def usage_record(
    file: Annotated[
        str, typer.Argument(help='One event or {"events": [...]} as JSON; - for stdin.')
    ],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record usage events (priced now from the catalogue); a bad event refuses the batch."""
    body = _json_object(_read_text(file), file)
    with backend(server, token) as b:
        result = b.record_usage(body)
    if as_json:
        print_json(result)
    else:
        out.print(f"accepted {result['accepted']}, duplicates {result['duplicates']}")


def register(app: typer.Typer) -> None:
    """Add these commands to the ``modelplane`` command and its ``models`` group."""
    for name, command in (
        ("create", create),
        ("update", update),
        ("deprecate", deprecate),
        ("reactivate", reactivate),
        ("duplicate", duplicate),
        ("retire", retire),
        ("bulk-status", bulk_status),
        ("history", history),
        ("rollback", rollback),
    ):
        models_app.command(name)(command)
    app.command("export")(export_command)
    app.command("import")(import_command)
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(providers_app, name="providers")
    usage_app.command("record")(usage_record)  # the group is ``cli/stats.py``'s


# helpers -----------------------------------------------------------------------------------


def _read_text(source: str | None) -> str:
    if source in (None, "-"):
        return sys.stdin.read().removeprefix(BOM)
    return read_text(source)


def _read_with_progress(path: Path) -> bytes:
    """The file's bytes, with a progress bar when it is large enough to wait for."""
    try:
        size = path.stat().st_size
        if size < PROGRESS_FROM_BYTES:
            return path.read_bytes()
        chunks: list[bytes] = []
        columns = (TextColumn("reading {task.description}"), BarColumn(), DownloadColumn())
        with Progress(*columns, transient=True) as progress, path.open("rb") as handle:
            task = progress.add_task(path.name, total=size)
            while chunk := handle.read(256 * 1024):
                chunks.append(chunk)
                progress.advance(task, len(chunk))
        return b"".join(chunks)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


def _json_object(text: str, source: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        fail(f"{source or 'stdin'} is not JSON: {exc}")
    if not isinstance(data, dict):
        fail(f"{source or 'stdin'} must hold a JSON object")
    return data


def assign(patch: dict[str, Any], assignment: str) -> None:
    """``"pricing.input=3"`` -> ``{"pricing": {"input": 3}}`` merged into ``patch``."""
    path, sep, raw = assignment.partition("=")
    if not sep or not path:
        fail(f"--set {assignment!r}: expected FIELD=VALUE")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    *parents, leaf = path.split(".")
    node = patch
    for key in parents:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            fail(f"--set {assignment!r}: {key} is set to a value already")
        node = child
    node[leaf] = value


def _show_model(model: dict[str, Any], verb: str, as_json: bool) -> None:
    if as_json:
        print_json(model)
    else:
        out.print(f"{model['id']} {verb}: now at version {model['version']}")


def _print_diff(report: dict[str, Any]) -> None:
    rows: list[tuple[object, ...]] = []
    for kind, d in report["diff"].items():
        rows += [(kind, key, "created", "") for key in d["created"]]
        rows += [(kind, u["id"], "updated", _changes_text(u["changes"])) for u in d["updated"]]
    if rows:
        print_table(["kind", "id", "change", "fields"], rows)
    unchanged = sum(len(d["unchanged"]) for d in report["diff"].values())
    verb = "would change" if report["dryRun"] else "changed"
    out.print(f"{verb} {report['changeCount']}, unchanged {unchanged}")
    for warning in report["warnings"]:
        out.print(f"warning: {warning}")
    _print_conflicts(report)


def _print_conflicts(report: dict[str, Any]) -> None:
    conflicts = report.get("conflicts") or []
    if conflicts:
        how = {"skip": "skipped", "force": "forced"}.get(report.get("onConflict", ""), "conflict")
        rows = [
            (how, c["kind"], c["id"], c["baseVersion"], c["currentVersion"], _fields(c))
            for c in conflicts
        ]
        print_table(["", "kind", "id", "base", "current", "changed since"], rows)
        if how == "conflict":
            out.print(
                "changed since the export: an apply is refused without --skip-conflicts or --force"
            )
    bases = report.get("noBaseVersion") or {}
    unversioned = [f"{kind} {key}" for kind, keys in bases.items() for key in keys]
    if unversioned:
        out.print(f"no base version (imported over whatever is current): {', '.join(unversioned)}")


def _fields(conflict: dict[str, Any]) -> str:
    return ", ".join(conflict["changedFields"])


def _changes_text(changes: list[dict[str, Any]]) -> str:
    return "; ".join(f"{c['field']}: {_show(c['old'])} -> {_show(c['new'])}" for c in changes)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
