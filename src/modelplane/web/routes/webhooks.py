"""Webhook subscriptions and their delivery log, for admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from modelplane.domain.errors import FieldError, InvalidInput, NotFound
from modelplane.domain.validation import validate
from modelplane.domain.webhooks import EVENT_KINDS, WebhookSpec
from modelplane.services import webhooks as svc
from modelplane.web.console import AdminConsole, Console
from modelplane.web.csrf import CheckedForm

router = APIRouter(prefix="/admin")
_PAGE = "/admin/webhooks"


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(console: AdminConsole) -> Response:
    return _page(console, [], {"events": ["model.price_changed"]})


@router.post("/webhooks", response_class=HTMLResponse)
def create_webhook(console: AdminConsole, form: CheckedForm) -> Response:
    values: dict[str, Any] = {
        "url": str(form.get("url") or "").strip(),
        "secret": str(form.get("secret") or ""),
        "events": [str(e) for e in form.getlist("events")],
    }
    description = str(form.get("description") or "").strip()
    if description:
        values["description"] = description
    allow = console.runtime.settings.webhooks_allow_private
    try:
        spec = validate(WebhookSpec, values)
        hook = svc.create_webhook(console.uows, spec, console.author, allow)
    except InvalidInput as exc:
        return _page(console, exc.errors, {**values, "secret": ""}, status=422)
    return console.redirect(_PAGE, notice=f"Webhook {hook.id} created for {hook.url}.")


@router.post("/webhooks/{webhook_id}")
def change_webhook(console: AdminConsole, form: CheckedForm, webhook_id: int) -> Response:
    action = str(form.get("action") or "")
    allow = console.runtime.settings.webhooks_allow_private
    try:
        if action == "delete":
            svc.delete_webhook(console.uows, webhook_id)
            notice = f"Webhook {webhook_id} deleted."
        elif action in ("pause", "resume"):
            patch = {"active": action == "resume"}
            svc.update_webhook(console.uows, webhook_id, patch, allow)
            notice = f"Webhook {webhook_id} {'resumed' if action == 'resume' else 'paused'}."
        else:
            notice = "Nothing to do."
    except (InvalidInput, NotFound) as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else [FieldError("", str(exc))]
        return console.redirect(_PAGE, notice="Not changed: " + "; ".join(map(str, errors)))
    return console.redirect(_PAGE, notice=notice)


@router.post("/webhooks/deliveries/{delivery_id}/replay")
def replay_delivery(console: AdminConsole, _: CheckedForm, delivery_id: int) -> Response:
    try:
        found = svc.replay_delivery(console.uows, delivery_id)
    except NotFound as exc:
        return console.redirect(_PAGE, notice=f"Not replayed: {exc}")
    return console.redirect(_PAGE, notice=f"Delivery {found.id} ({found.kind}) queued again.")


def _page(
    console: Console, errors: list[FieldError], values: dict[str, Any], status: int = 200
) -> Response:
    hooks = svc.list_webhooks(console.uows)
    deliveries, total = svc.deliveries(console.uows, None, 50)
    return console.page(
        "webhooks.html",
        status=status,
        hooks=hooks,
        deliveries=deliveries,
        total=total,
        kinds=EVENT_KINDS,
        errors=errors,
        values=values,
    )
