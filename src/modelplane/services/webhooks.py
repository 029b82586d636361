"""Webhooks: subscriptions, the events every versioned write emits, and their delivery.

``emit(uow, kind, data)`` queues an event in the writer's own transaction (the outbox): it
commits with the change or not at all, so a crash loses none. The ``Deliverer`` (one per
server process) claims due deliveries, posts them signed, and records each attempt; a
failure is retried with exponential backoff for 24 hours. Delivery happens on its own
threads with a timeout: a slow or failing receiver never slows a write.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, NotFound
from modelplane.domain.models import Model
from modelplane.domain.validation import deep_merge, require_object, validate
from modelplane.domain.webhooks import (
    ATTEMPT_TIMEOUT_SECONDS,
    Delivery,
    EventKind,
    Job,
    Webhook,
    WebhookSpec,
    address_problem,
    headers,
    next_attempt,
)
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from modelplane.store.webhook_repository import WebhookRepository

log = logging.getLogger(__name__)
_LEASE = timedelta(seconds=ATTEMPT_TIMEOUT_SECONDS * 3)
"""How long a claim holds: a batch's attempts end well within it (timeouts), and a
delivery that a dead process claimed is due again when it runs out."""
_CHANGE_KINDS: dict[str, EventKind] = {
    "router_config": "router_config.changed",
    "profile": "profile.changed",
    "flag": "flag.changed",
}


def _repo(uow: UnitOfWork) -> WebhookRepository:
    return WebhookRepository(uow.connection)


# Safe targets ---------------------------------------------------------------------------------


def target_problem(url: str, allow_private: bool) -> str | None:
    """Why ``url``'s host is refused: it does not resolve, or one of its addresses is
    private, loopback, link-local, ... (all of them are checked: a host may have several).
    ``allow_private`` (``MODELPLANE_WEBHOOKS_ALLOW_PRIVATE``) admits those."""
    if allow_private:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        return f"host {host!r} does not resolve: {exc}"
    for info in infos:
        problem = address_problem(str(info[4][0]))
        if problem:
            return f"host {host!r} {problem} (MODELPLANE_WEBHOOKS_ALLOW_PRIVATE=true allows it)"
    return None


def _check_target(spec: WebhookSpec, allow_private: bool) -> None:
    problem = target_problem(spec.url, allow_private)
    if problem:
        raise InvalidInput([FieldError("url", problem)])


# Subscriptions --------------------------------------------------------------------------------


def create_webhook(
    uows: UnitOfWorkFactory, spec: WebhookSpec, author: str, allow_private: bool
) -> Webhook:
    _check_target(spec, allow_private)
    with uows() as uow:
        webhook = _repo(uow).add(spec, author, utcnow())
        uow.commit()
    return webhook


def list_webhooks(uows: UnitOfWorkFactory) -> list[Webhook]:
    with uows(read_only=True) as uow:
        return _repo(uow).all()


def _require(uow: UnitOfWork, webhook_id: int) -> Webhook:
    webhook = _repo(uow).get(webhook_id)
    if webhook is None:
        raise NotFound("webhook", str(webhook_id))
    return webhook


def get_webhook(uows: UnitOfWorkFactory, webhook_id: int) -> Webhook:
    with uows(read_only=True) as uow:
        return _require(uow, webhook_id)


def update_webhook(
    uows: UnitOfWorkFactory, webhook_id: int, patch: dict[str, Any], allow_private: bool
) -> Webhook:
    """Merge ``patch`` (any of url, secret, events, description, active) into the
    subscription; the result is validated whole."""
    patch = require_object(patch, "a webhook update")
    with uows() as uow:
        current = _require(uow, webhook_id)
        spec = validate(WebhookSpec, deep_merge(current.spec().to_json(), patch))
        if spec.url != current.url:
            _check_target(spec, allow_private)
        _repo(uow).replace(webhook_id, spec, utcnow())
        webhook = _require(uow, webhook_id)
        uow.commit()
    return webhook


def delete_webhook(uows: UnitOfWorkFactory, webhook_id: int) -> Webhook:
    with uows() as uow:
        webhook = _require(uow, webhook_id)
        _repo(uow).delete(webhook_id)
        uow.commit()
    return webhook


def deliveries(
    uows: UnitOfWorkFactory, webhook_id: int | None, limit: int = 50, offset: int = 0
) -> tuple[list[Delivery], int]:
    """The delivery log, newest first, each with its attempts."""
    with uows(read_only=True) as uow:
        if webhook_id is not None:
            _require(uow, webhook_id)
        return _repo(uow).deliveries(webhook_id, limit, offset)


def get_delivery(uows: UnitOfWorkFactory, delivery_id: int) -> Delivery:
    with uows(read_only=True) as uow:
        found = _repo(uow).delivery(delivery_id)
    if found is None:
        raise NotFound("delivery", str(delivery_id))
    return found


def replay_delivery(uows: UnitOfWorkFactory, delivery_id: int) -> Delivery:
    """Send a delivery again now (same event id), whether it failed or succeeded."""
    with uows() as uow:
        if not _repo(uow).replay(delivery_id, utcnow()):
            raise NotFound("delivery", str(delivery_id))
        found = _repo(uow).delivery(delivery_id)
        uow.commit()
    assert found is not None
    return found


# Emitting -------------------------------------------------------------------------------------


_subscribers: weakref.WeakKeyDictionary[UnitOfWork, list[Webhook]] = weakref.WeakKeyDictionary()


def emit(uow: UnitOfWork, kind: EventKind, data: dict[str, Any]) -> str | None:
    """Queue event ``kind`` in ``uow``'s transaction for every subscriber that wants it;
    its id, or ``None`` when nobody subscribes (then nothing is stored)."""
    repo = _repo(uow)
    subscribers = _subscribers.get(uow)
    if subscribers is None:  # read once per transaction: an import emits thousands
        subscribers = _subscribers[uow] = repo.all()
    wanted = [w.id for w in subscribers if w.wants(kind)]
    if not wanted:
        return None
    at = utcnow()
    event_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": kind, "timestamp": at.isoformat(), "data": data}
    repo.add_event(event_id, kind, payload, at, wanted)
    return event_id


def emit_change(
    uow: UnitOfWork,
    change_kind: str,
    key: str,
    *,
    version: int,
    change_type: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    author: str,
    reason: str | None,
    effective_from: datetime | None = None,
) -> None:
    """The events one versioned write means (called by ``versioned.record``). A sunset
    date being set is a ``model.updated``; ``model.sunset`` is sent when it passes
    (``sunset_passed``)."""
    common = {
        "id": key,
        "version": version,
        "changeType": change_type,
        "author": author,
        "reason": reason,
    }
    if change_kind != "model":
        kind = _CHANGE_KINDS.get(change_kind)
        if kind is not None:
            emit(uow, kind, {**common, "document": after})
        return
    if before is None:
        emit(uow, "model.created", {**common, "model": after})
        return
    emit(uow, "model.updated", {**common, "model": after})
    if after.get("status") == "deprecated" and before.get("status") != "deprecated":
        emit(uow, "model.deprecated", common)
    if before.get("pricing") != after.get("pricing"):
        since = effective_from.isoformat() if effective_from else None
        price_changed(uow, key, before.get("pricing"), after.get("pricing"), since, author, reason)


def sunset_passed(uow: UnitOfWork, model: Model) -> None:
    """``model.sunset``: ``model`` is past its sunset, and the router no longer picks it."""
    assert model.sunset_date is not None
    emit(
        uow,
        "model.sunset",
        {
            "id": model.id,
            "version": model.version,
            "sunsetDate": model.to_json()["sunsetDate"],
            "successorId": model.successor_id,
            "reason": f"sunset {model.sunset_date.isoformat()} passed",
        },
    )


def price_changed(
    uow: UnitOfWork,
    model_id: str,
    old: Any,
    new: Any,
    effective_from: str | None,
    author: str,
    reason: str | None,
) -> None:
    """``model.price_changed`` with the old and new prices and when the new one applies
    (``None``: at once)."""
    emit(
        uow,
        "model.price_changed",
        {
            "id": model_id,
            "old": old,
            "new": new,
            "effectiveFrom": effective_from or utcnow().isoformat(),
            "author": author,
            "reason": reason,
        },
    )


# Delivering -----------------------------------------------------------------------------------


def body_of(job: Job) -> bytes:
    return json.dumps(job.payload, separators=(",", ":"), ensure_ascii=False).encode()


class Deliverer:
    """Claims due deliveries and sends them on a few threads, recording every attempt.

    ``wake()`` (called when this process hears of a change) starts a round at once;
    otherwise a round runs every ``interval`` seconds, which also picks up retries and
    leases that a dead process left.
    """

    def __init__(
        self,
        uows: UnitOfWorkFactory,
        allow_private: bool,
        interval: float = 0.5,
        workers: int = 4,
        batch: int = 50,
        timeout: float = ATTEMPT_TIMEOUT_SECONDS,
    ) -> None:
        self._uows = uows
        self._allow_private = allow_private
        self._interval = interval
        self._batch = batch
        self._timeout = timeout
        self._token = uuid.uuid4().hex
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="modelplane-webhook")
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._thread = threading.Thread(target=self._run, name="modelplane-deliverer", daemon=True)
        self.sent = 0

    def start(self) -> Deliverer:
        self._thread.start()
        return self

    def wake(self, *_: object) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=False)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                while not self._stop.is_set() and self.round() == self._batch:
                    pass
            except Exception as exc:  # the database may be away: try again next round
                log.warning("webhook deliveries: %s", exc)

    def round(self) -> int:
        """Claim one batch and deliver it (waiting for the batch); how many were claimed."""
        now = utcnow()
        with self._uows(read_only=True) as uow:
            if not _repo(uow).any_due(now):  # a cheap read; the claim takes the write lock
                return 0
        with self._uows() as uow:
            jobs = _repo(uow).claim(now, now + _LEASE, self._token, self._batch)
            uow.commit()
        list(self._pool.map(self._deliver, jobs))
        return len(jobs)

    def _deliver(self, job: Job) -> None:
        status: int | None = None
        error: str | None = None
        started = time.perf_counter()
        problem = target_problem(job.url, self._allow_private)
        if problem:
            error = problem
        else:
            body = body_of(job)
            sent = headers(job.secret, job.event_id, int(time.time()), body)
            try:
                response = self._client.post(job.url, content=body, headers=sent)
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        latency = int((time.perf_counter() - started) * 1000)
        at = utcnow()
        delivered = error is None
        retry = None if delivered else next_attempt(job.event_at, job.attempts + 1, at)
        try:
            with self._uows() as uow:
                _repo(uow).finish(job, self._token, at, status, latency, error, retry, delivered)
                uow.commit()
        except Exception as exc:  # the lease runs out and the delivery is tried again
            log.warning("webhook delivery %d: not recorded: %s", job.delivery_id, exc)
        if delivered:
            self.sent += 1


def start_deliverer(
    uows: UnitOfWorkFactory,
    allow_private: bool,
    subscribe: Callable[[Callable[[object], None]], object] | None = None,
) -> Deliverer:
    """A started deliverer; ``subscribe`` (the live catalogue's) wakes it on every change."""
    deliverer = Deliverer(uows, allow_private).start()
    if subscribe is not None:
        subscribe(deliverer.wake)
    return deliverer
