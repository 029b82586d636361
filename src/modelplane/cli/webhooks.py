"""``modelplane webhooks``: subscriptions, their delivery log, and replays."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from modelplane.cli.app import runtime
from modelplane.cli.backends import cli_author
from modelplane.cli.output import friendly_errors, out, print_json, print_table
from modelplane.domain.validation import validate
from modelplane.domain.webhooks import EVENT_KINDS, Delivery, WebhookSpec
from modelplane.services import webhooks as svc

webhooks_app = typer.Typer(
    no_args_is_help=True,
    help="Webhook subscriptions: signed deliveries of catalogue, router and sync events.",
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
EventsOpt = Annotated[
    list[str] | None,
    typer.Option("--event", "-e", help=f"An event kind (repeatable): {', '.join(EVENT_KINDS)}."),
]


def _allow_private() -> bool:
    return runtime().settings.webhooks_allow_private


@webhooks_app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """List subscriptions (secrets masked)."""
    with friendly_errors():
        found = svc.list_webhooks(runtime().unit_of_work)
    if as_json:
        print_json([w.public_json() for w in found])
        return
    rows = [(w.id, w.url, ", ".join(w.events), "active" if w.active else "paused") for w in found]
    print_table(["id", "url", "events", "state"], rows)


@webhooks_app.command("create")
def create_command(
    url: str,
    secret: Annotated[
        str, typer.Option("--secret", help="Signs deliveries; whsec_<base64> is decoded.")
    ],
    events: EventsOpt = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe URL to the given event kinds."""
    document: dict[str, Any] = {"url": url, "secret": secret, "events": events or []}
    if description is not None:
        document["description"] = description
    with friendly_errors():
        spec = validate(WebhookSpec, document)
        hook = svc.create_webhook(runtime().unit_of_work, spec, cli_author(), _allow_private())
    if as_json:
        print_json(hook.public_json())
    else:
        out.print(f"webhook {hook.id} created: {hook.url} ({', '.join(hook.events)})")


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
    with friendly_errors():
        hook = svc.update_webhook(runtime().unit_of_work, webhook_id, patch, _allow_private())
    if as_json:
        print_json(hook.public_json())
    else:
        out.print(f"webhook {hook.id} updated")


@webhooks_app.command("delete")
def delete_command(webhook_id: int) -> None:
    """Delete a subscription and its delivery log."""
    with friendly_errors():
        hook = svc.delete_webhook(runtime().unit_of_work, webhook_id)
    out.print(f"webhook {hook.id} deleted")


def _delivery_row(d: Delivery) -> tuple[object, ...]:
    last = d.log[-1] if d.log else None
    return (
        d.id,
        d.webhook_id,
        d.kind,
        d.status,
        d.attempts,
        last.status_code if last and last.status_code is not None else "-",
        f"{last.latency_ms} ms" if last else "-",
        (last.error or "") if last else "",
    )


@webhooks_app.command("deliveries")
def deliveries_command(
    webhook_id: Annotated[int | None, typer.Argument(help="One subscription's only.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log, newest first: each delivery's attempts, status code and latency."""
    with friendly_errors():
        found, total = svc.deliveries(runtime().unit_of_work, webhook_id, limit)
    if as_json:
        print_json({"data": [d.to_json() for d in found], "total": total})
        return
    headers = ["id", "webhook", "event", "status", "attempts", "last code", "latency", "error"]
    print_table(headers, [_delivery_row(d) for d in found])


@webhooks_app.command("replay")
def replay_command(delivery_id: int) -> None:
    """Send a delivery again (the same event id); a running server's deliverer sends it."""
    with friendly_errors():
        found = svc.replay_delivery(runtime().unit_of_work, delivery_id)
    out.print(f"delivery {found.id} ({found.kind}) queued again")


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
