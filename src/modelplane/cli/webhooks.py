"""``modelplane webhooks``: subscriptions, their delivery log, and replays."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelplane.cli.manage import ServerOpt, TokenOpt, backend
from modelplane.cli.output import out, print_json, print_table
from modelplane.domain.webhooks import EVENT_KINDS

webhooks_app = typer.Typer(
    no_args_is_help=True,
    help="Webhook subscriptions: signed deliveries of catalogue, router and sync events.",
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
EventsOpt = Annotated[
    list[str] | None,
    typer.Option("--event", "-e", help=f"An event kind (repeatable): {', '.join(EVENT_KINDS)}."),
]


@webhooks_app.command("list")
def list_command(
    server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """List subscriptions (secrets masked)."""
    with backend(server, token) as b:
        found = b.list_webhooks()
    if as_json:
        print_json(found)
        return
    rows = [
        (w["id"], w["url"], ", ".join(w["events"]), "active" if w["active"] else "paused")
        for w in found
    ]
    print_table(["id", "url", "events", "state"], rows)


@webhooks_app.command("create")
def create_command(
    url: str,
    secret: Annotated[
        str, typer.Option("--secret", help="Signs deliveries; whsec_<base64> is decoded.")
    ],
    events: EventsOpt = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe URL to the given event kinds."""
    document: dict[str, Any] = {"url": url, "secret": secret, "events": events or []}
    if description is not None:
        document["description"] = description
    with backend(server, token) as b:
        hook = b.create_webhook(document)
    if as_json:
        print_json(hook)
    else:
        out.print(f"webhook {hook['id']} created: {hook['url']} ({', '.join(hook['events'])})")


@webhooks_app.command("update")
def update_command(
    webhook_id: int,
    url: Annotated[str | None, typer.Option("--url")] = None,
    secret: Annotated[str | None, typer.Option("--secret")] = None,
    events: EventsOpt = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--paused", help="Deliver, or hold deliveries.")
    ] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a subscription: only the options given change."""
    patch: dict[str, Any] = {}
    for key, value in (
        ("url", url),
        ("secret", secret),
        ("events", events or None),
        ("description", description),
        ("active", active),
    ):
        if value is not None:
            patch[key] = value
    with backend(server, token) as b:
        hook = b.update_webhook(webhook_id, patch)
    if as_json:
        print_json(hook)
    else:
        out.print(f"webhook {hook['id']} updated")


@webhooks_app.command("delete")
def delete_command(
    webhook_id: int, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Delete a subscription and its delivery log."""
    with backend(server, token) as b:
        hook = b.delete_webhook(webhook_id)
    if as_json:
        print_json(hook)
    else:
        out.print(f"webhook {hook['id']} deleted")


def _delivery_row(d: dict[str, Any]) -> tuple[object, ...]:
    last = d["log"][-1] if d["log"] else None
    code = last.get("statusCode") if last else None
    return (
        d["id"],
        d["webhookId"],
        d["kind"],
        d["status"],
        d["attempts"],
        code if code is not None else "-",
        f"{last['latencyMs']} ms" if last else "-",
        (last.get("error") or "") if last else "",
    )


@webhooks_app.command("deliveries")
def deliveries_command(
    webhook_id: Annotated[int | None, typer.Argument(help="One subscription's only.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    server: ServerOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log, newest first: each delivery's attempts, status code and latency."""
    with backend(server, token) as b:
        page = b.webhook_deliveries(webhook_id, limit)
    found = page["data"]
    if as_json:
        print_json(page)
        return
    headers = ["id", "webhook", "event", "status", "attempts", "last code", "latency", "error"]
    print_table(headers, [_delivery_row(d) for d in found])


@webhooks_app.command("replay")
def replay_command(
    delivery_id: int, server: ServerOpt = None, token: TokenOpt = None, as_json: JsonOpt = False
) -> None:
    """Send a delivery again (the same event id); a running server's deliverer sends it."""
    with backend(server, token) as b:
        found = b.replay_delivery(delivery_id)
    if as_json:
        print_json(found)
    else:
        out.print(f"delivery {found['id']} ({found['kind']}) queued again")


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
