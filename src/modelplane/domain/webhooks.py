"""Webhook subscriptions, their events, signatures and retry schedule.

Signatures follow the Standard Webhooks convention: the headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256>``, signed over
``"{id}.{timestamp}.{body}"``; a secret written ``whsec_<base64>`` is decoded first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeAlias
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from modelplane.domain.base import SINGLE_LINE, DomainModel, Line

EventKind: TypeAlias = Literal[
    "model.created",
    "model.updated",
    "model.deprecated",
    "model.sunset",
    "model.price_changed",
    "router_config.changed",
    "profile.changed",
    "flag.changed",
    "sync.finished",
]
EVENT_KINDS: tuple[EventKind, ...] = (
    "model.created",
    "model.updated",
    "model.deprecated",
    "model.sunset",
    "model.price_changed",
    "router_config.changed",
    "profile.changed",
    "flag.changed",
    "sync.finished",
)
DeliveryStatus: TypeAlias = Literal["pending", "delivered", "failed"]

RETRY_FOR = timedelta(hours=24)
"""A delivery is retried for this long after its event, then given up."""
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY_GAP = timedelta(hours=2)
ATTEMPT_TIMEOUT_SECONDS = 5.0
"""One attempt's whole budget: a slow receiver costs a deliverer thread this, never a write."""
SECRET_PREFIX = "whsec_"

Url = Annotated[str, Field(min_length=1, max_length=2000), SINGLE_LINE]
Secret = Annotated[str, Field(min_length=16, max_length=500), SINGLE_LINE]


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook target by its form (not its address), or ``None``."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"is not a URL: {exc}"
    if parts.scheme not in ("http", "https"):
        shown = parts.scheme or "none"
        return f"must be an http or https URL, not scheme {shown!r}"
    if not parts.hostname:
        return "must name a host"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return "has an invalid port"
    return None


def address_problem(address: str) -> str | None:
    """Why a resolved address is refused as a target (private, loopback, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, what in (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_private, "a private address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_unspecified, "an unspecified address"),
    ):
        if test:
            return f"resolves to {ip}, {what}"
    return None


class WebhookSpec(DomainModel):
    """What an admin sets on a subscription."""

    url: Url
    secret: Secret
    events: list[EventKind] = Field(min_length=1, max_length=len(EVENT_KINDS))
    description: Line | None = None
    active: bool = True

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str) -> str:
        secret_key(value)
        return value

    @field_validator("events")
    @classmethod
    def _events(cls, value: list[EventKind]) -> list[EventKind]:
        if len(set(value)) != len(value):
            raise ValueError("an event kind is listed twice")
        return value


class Webhook(WebhookSpec):
    """A stored subscription."""

    id: int
    created_at: datetime
    created_by: Line
    updated_at: datetime

    def spec(self) -> WebhookSpec:
        return WebhookSpec.model_validate(self.model_dump(include=set(WebhookSpec.model_fields)))

    def public_json(self) -> dict[str, object]:
        """Its JSON with the secret masked: a secret is shown only to whoever set it."""
        data = self.to_json()
        data["secret"] = mask(self.secret)
        return data

    def wants(self, kind: str) -> bool:
        return self.active and kind in self.events


@dataclass(frozen=True)
class Job:
    """One claimed delivery: what to send, where, and how many attempts came before."""

    delivery_id: int
    event_id: str
    kind: str
    payload: dict[str, Any]
    event_at: datetime
    webhook_id: int
    url: str
    secret: str
    attempts: int


@dataclass(frozen=True)
class Attempt:
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "attempt": self.attempt,
            "at": self.at.isoformat(),
            "statusCode": self.status_code,
            "latencyMs": self.latency_ms,
            "error": self.error,
        }


@dataclass(frozen=True)
class Delivery:
    """One event for one subscriber, and its attempts so far."""

    id: int
    webhook_id: int
    event_id: str
    kind: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    created_at: datetime
    updated_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    log: tuple[Attempt, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "webhookId": self.webhook_id,
            "eventId": self.event_id,
            "kind": self.kind,
            "status": self.status,
            "attempts": self.attempts,
            "nextAttemptAt": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
            "lastStatusCode": self.last_status_code,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
            "payload": self.payload,
            "log": [a.to_json() for a in self.log],
        }


def mask(secret: str) -> str:
    return f"{secret[:6]}…{secret[-2:]}" if len(secret) > 10 else "…"


def secret_key(secret: str) -> bytes:
    """The HMAC key: a ``whsec_`` secret's base64 payload decoded, else the text's bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a secret written whsec_… must be base64 after the prefix") from None
        if not key:
            raise ValueError("a secret written whsec_… must not be empty after the prefix")
        return key
    return secret.encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for one delivery."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def next_attempt(event_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failed attempts: exponential backoff from
    ``FIRST_RETRY`` (5 s, 10 s, 20 s, ...) capped at ``MAX_RETRY_GAP``; ``None`` once that
    would fall more than ``RETRY_FOR`` after the event (given up)."""
    gap = min(FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 20)), MAX_RETRY_GAP)
    when = now + gap
    return when if when <= event_at + RETRY_FOR else None


__all__ = [
    "ATTEMPT_TIMEOUT_SECONDS",
    "EVENT_KINDS",
    "Attempt",
    "Delivery",
    "DeliveryStatus",
    "EventKind",
    "Job",
    "Webhook",
    "WebhookSpec",
    "address_problem",
    "headers",
    "next_attempt",
    "secret_key",
    "signature",
    "url_problem",
]
