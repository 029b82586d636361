"""Webhook subscriptions and their delivery log under /api/v1/webhooks (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import ConfigDict

from modelplane.api.bodies import Document, Object, Text
from modelplane.api.deps import Admin, RuntimeDep
from modelplane.api.threads import DatabaseRoute
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.validation import validate
from modelplane.domain.webhooks import EVENT_KINDS, Delivery, WebhookSpec
from modelplane.services import webhooks as svc

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], route_class=DatabaseRoute)
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
_EVENTS = f"Event kinds: {', '.join(f'`{k}`' for k in EVENT_KINDS)}."


class WebhookBody(Document):
    """A subscription: where to post, the signing secret, and the event kinds it wants."""

    url: Text = None
    secret: Text = None
    events: Object = None
    description: Text = None
    active: Object = None


class NoFields(Document):
    """No fields: the delivery is sent again as it was."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})


def _page(items: list[Delivery], total: int, offset: int, limit: int) -> dict[str, Any]:
    return {
        "data": [d.to_json() for d in items],
        "count": len(items),
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@router.post(
    "",
    status_code=201,
    summary="Subscribe a URL to events",
    description="Body: `{url, secret, events, description?, active?}`. The secret (at least "
    "16 characters; `whsec_<base64>` is decoded first) signs every delivery. " + _EVENTS,
)
def create_webhook(
    runtime: RuntimeDep,
    who: Admin,
    body: Annotated[
        WebhookBody,
        Body(
            openapi_examples={
                "prices": {
                    "value": {
                        "url": "https://hooks.example.com/modelplane",
                        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                        "events": ["model.price_changed"],
                    }
                }
            }
        ),
    ],
) -> dict[str, Any]:
    spec = validate(WebhookSpec, body.as_sent())
    allow = runtime.settings.webhooks_allow_private
    return svc.create_webhook(runtime.unit_of_work, spec, who.name, allow).public_json()


@router.get("", summary="List subscriptions (secrets masked)")
def list_webhooks(runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    found = svc.list_webhooks(runtime.unit_of_work)
    return {"data": [w.public_json() for w in found], "count": len(found)}


@router.get("/deliveries", summary="The delivery log of every subscription, newest first")
def all_deliveries(
    runtime: RuntimeDep, _: Admin, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    items, total = svc.deliveries(runtime.unit_of_work, None, limit, offset)
    return _page(items, total, offset, limit)


@router.get("/deliveries/{delivery_id}", summary="One delivery and its attempts")
def get_delivery(runtime: RuntimeDep, _: Admin, delivery_id: int) -> dict[str, Any]:
    return svc.get_delivery(runtime.unit_of_work, delivery_id).to_json()


@router.post(
    "/deliveries/{delivery_id}/replay",
    summary="Send a delivery again now",
    description="The same event id and body, newly signed; the attempt joins its log.",
)
def replay_delivery(
    runtime: RuntimeDep,
    _: Admin,
    delivery_id: int,
    body: Annotated[NoFields | None, Body()] = None,
) -> dict[str, Any]:
    if body is not None and body.as_sent():
        fields = sorted(body.as_sent())
        raise InvalidInput([FieldError(k, "unknown field") for k in fields])
    return svc.replay_delivery(runtime.unit_of_work, delivery_id).to_json()


@router.get("/{webhook_id}", summary="One subscription (secret masked)")
def get_webhook(runtime: RuntimeDep, _: Admin, webhook_id: int) -> dict[str, Any]:
    return svc.get_webhook(runtime.unit_of_work, webhook_id).public_json()


@router.patch(
    "/{webhook_id}",
    summary="Change a subscription",
    description="Any of `url`, `secret`, `events`, `description`, `active`; the result is "
    "validated whole. " + _EVENTS,
)
def update_webhook(
    runtime: RuntimeDep, _: Admin, webhook_id: int, body: WebhookBody
) -> dict[str, Any]:
    allow = runtime.settings.webhooks_allow_private
    webhook = svc.update_webhook(runtime.unit_of_work, webhook_id, body.as_sent(), allow)
    return webhook.public_json()


@router.delete("/{webhook_id}", summary="Delete a subscription and its delivery log")
def delete_webhook(runtime: RuntimeDep, _: Admin, webhook_id: int) -> dict[str, Any]:
    return svc.delete_webhook(runtime.unit_of_work, webhook_id).public_json()


@router.get("/{webhook_id}/deliveries", summary="A subscription's delivery log, newest first")
def webhook_deliveries(
    runtime: RuntimeDep, _: Admin, webhook_id: int, offset: Offset = 0, limit: Limit = 50
) -> dict[str, Any]:
    items, total = svc.deliveries(runtime.unit_of_work, webhook_id, limit, offset)
    return _page(items, total, offset, limit)
