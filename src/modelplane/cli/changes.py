"""``modelplane changes``: change requests (list, show, create, approve, reject, withdraw,
apply, schedule, rebase, run-due) and ``changes policy set|list``, on the database or a
server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from modelplane.cli.manage import ServerOpt, TokenOpt, assign, backend
from modelplane.cli.output import JsonOpt, fail, out, print_json, print_table, read_text

changes_app = typer.Typer(help="Change requests and approval policies.", no_args_is_help=True)
policy_app = typer.Typer(help="Approval policies per kind.", no_args_is_help=True)
changes_app.add_typer(policy_app, name="policy")

Id = Annotated[int, typer.Argument(help="The change request's number.")]
Note = Annotated[str | None, typer.Option("--reason", help="Why (kept with the event).")]


def show_request(request: dict[str, Any], as_json: bool) -> None:
    """A request as every command that answers with one prints it."""
    if as_json:
        print_json(request)
        return
    out.print(
        f"#{request['id']} {request['title']} [{request['state']}] by {request['author']}; "
        f"approvals {len(request['approvedBy'])}/{request['approvalsNeeded']}"
        + (f"; applies at {request['applyAt']}" if request.get("applyAt") else ""),
        markup=False,  # "[pending]" is the state, not a style
        highlight=False,
    )
    rows = []
    for change in request["changes"]:
        for field in change.get("diff", []):
            rows.append((change["kind"], change["id"], field["field"], field["old"], field["new"]))
    if rows:
        print_table(["kind", "id", "field", "current", "proposed"], rows)
    for event in request.get("events", []):
        out.print(f"{event['at']} {event['actor']} {event['action']} {event['text'] or ''}")


def list_command(
    state: Annotated[str | None, typer.Option("--state", help="Only this state.")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change requests, newest first."""
    with backend(server, token) as b:
        page = b.list_changes(state)
    if as_json:
        print_json(page)
        return
    print_table(
        ["id", "state", "title", "author", "approvals", "apply at"],
        [
            (
                r["id"],
                r["state"],
                r["title"],
                r["author"],
                f"{len(r['approvedBy'])}/{r['approvalsNeeded']}",
                r["applyAt"],
            )
            for r in page["data"]
        ],
    )


def show_command(
    request_id: Id, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """One request: its diff field by field (current against proposed) and its events."""
    with backend(server, token) as b:
        show_request(b.get_change(request_id), as_json)


def create_command(
    title: Annotated[str, typer.Option("--title", help="What the request does.")],
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="model, router_config, profile, flag or experiment."),
    ] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="The document's id.")] = None,
    expected: Annotated[
        int | None, typer.Option("--expected-version", help="The version it is based on.")
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="FIELD=VALUE (VALUE as JSON if it is).")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A JSON list of {kind, id, patch, expectedVersion}."),
    ] = None,
    reason: Note = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open a request with one change (--kind/--id/--expected-version/--set) or several
    (--file)."""
    if file is not None:
        try:
            changes = json.loads(read_text(file))
        except (OSError, ValueError) as exc:
            fail(f"--file {file}: {exc}")
    else:
        if kind is None or not sets:
            fail("give --kind and --set FIELD=VALUE (or --file)")
        patch: dict[str, Any] = {}
        for assignment in sets:
            assign(patch, assignment)
        changes = [{"kind": kind, "id": entity_id, "patch": patch, "expectedVersion": expected}]
    body = {"title": title, "reason": reason, "changes": changes}
    with backend(server, token) as b:
        show_request(b.create_change(body), as_json)


def _action(action: str, help_text: str) -> Any:
    def command(
        request_id: Id,
        reason: Note = None,
        server: ServerOpt = None,
        token: TokenOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        with backend(server, token) as b:
            show_request(b.change_action(request_id, action, {"reason": reason}), as_json)

    command.__doc__ = help_text
    return command


def apply_command(
    request_id: Id, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Apply an approved request now: one transaction over all its changes."""
    with backend(server, token) as b:
        show_request(b.change_action(request_id, "apply", {}), as_json)


def schedule_command(
    request_id: Id,
    at: Annotated[str, typer.Option("--at", help="ISO 8601 time with its zone, to come.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply an approved request at a time (the servers, or `changes run-due`, do it)."""
    with backend(server, token) as b:
        show_request(b.change_action(request_id, "apply", {"at": at}), as_json)


def run_due_command(
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Apply every scheduled request whose time has come (for cron); each once."""
    with backend(server, token) as b:
        result = b.run_due()
    if as_json:
        print_json(result)
    else:
        out.print(f"applied {result['count']}: {', '.join(f'#{i}' for i in result['applied'])}")
        for label, key in (
            ("prices took effect", "pricesTookEffect"),
            ("sunsets", "sunsetsPassed"),
        ):
            if result.get(key):
                out.print(f"{label}: {', '.join(result[key])}")


def policy_set_command(
    kind: Annotated[
        str,
        typer.Argument(
            help="model, router_config, profile, flag, experiment, sync; or model:PROVIDER "
            "(that provider's models, before the model kind's policy)."
        ),
    ],
    approvers: Annotated[int, typer.Option("--approvers", help="0 applies directly.")],
    role: Annotated[str, typer.Option("--role", help="Who may approve.")] = "editor",
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set how many approvals a change of KIND needs."""
    with backend(server, token) as b:
        policy = b.set_policy(kind, approvers, role)
    if as_json:
        print_json(policy)
        return
    out.print(f"{policy['kind']}: {policy['approvers']} approval(s) by {policy['role']}")
    if policy.get("warning"):
        out.print(f"warning: {policy['warning']}")


def policy_list_command(
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Every kind's approval policy."""
    with backend(server, token) as b:
        page = b.list_policies()
    if as_json:
        print_json(page)
        return
    print_table(
        ["kind", "approvers", "role"],
        [(p["kind"], p["approvers"], p["role"]) for p in page["data"]],
    )


def register(app: typer.Typer) -> None:
    changes_app.command("list")(list_command)
    changes_app.command("show")(show_command)
    changes_app.command("create")(create_command)
    changes_app.command("approve")(_action("approve", "Approve (not your own request)."))
    changes_app.command("reject")(_action("reject", "Reject a request."))
    changes_app.command("withdraw")(_action("withdraw", "Withdraw your own request."))
    changes_app.command("rebase")(
        _action("rebase", "Move a request onto the current versions (no field may overlap).")
    )
    changes_app.command("comment")(_comment)
    changes_app.command("apply")(apply_command)
    changes_app.command("schedule")(schedule_command)
    changes_app.command("run-due")(run_due_command)
    policy_app.command("set")(policy_set_command)
    policy_app.command("list")(policy_list_command)
    app.add_typer(changes_app, name="changes")


def _comment(
    request_id: Id,
    text: Annotated[str, typer.Argument(help="The comment.")],
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Comment on a request."""
    with backend(server, token) as b:
        show_request(b.change_action(request_id, "comments", {"text": text}), as_json)
