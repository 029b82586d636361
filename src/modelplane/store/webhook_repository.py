"""Webhook rows: subscriptions, the outbox of events, deliveries and their attempts.

Claims never hand one delivery to two deliverers at once: on PostgreSQL the candidates are
locked with ``FOR UPDATE SKIP LOCKED`` (two deliverers take different rows without
waiting), on SQLite the claiming UPDATE runs under the database's one write lock. A claim
is a lease: its ``next_attempt_at`` moves to the lease's end, so a deliverer that dies
mid-attempt leaves the delivery to be claimed again when the lease runs out (at least once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from modelplane.domain.webhooks import Attempt, Delivery, Job, Webhook, WebhookSpec
from modelplane.store import tables as t


def _webhook(row: Any) -> Webhook:
    m = row._mapping
    return Webhook.model_validate(
        {
            "id": m["id"],
            "url": m["url"],
            "secret": m["secret"],
            "events": m["events"],
            "description": m["description"],
            "active": m["active"],
            "created_at": m["created_at"],
            "created_by": m["created_by"],
            "updated_at": m["updated_at"],
        }
    )


def _spec_values(spec: WebhookSpec) -> dict[str, Any]:
    return {
        "url": spec.url,
        "secret": spec.secret,
        "events": list(spec.events),
        "description": spec.description,
        "active": spec.active,
    }


class WebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Subscriptions ---------------------------------------------------------------------------

    def add(self, spec: WebhookSpec, author: str, at: datetime) -> Webhook:
        values = {**_spec_values(spec), "created_at": at, "created_by": author, "updated_at": at}
        result = self._conn.execute(t.webhooks.insert().values(values))
        key = result.inserted_primary_key
        assert key is not None
        found = self.get(int(key[0]))
        assert found is not None
        return found

    def get(self, webhook_id: int) -> Webhook | None:
        row = self._conn.execute(select(t.webhooks).where(t.webhooks.c.id == webhook_id)).first()
        return _webhook(row) if row else None

    def all(self) -> list[Webhook]:
        rows = self._conn.execute(select(t.webhooks).order_by(t.webhooks.c.id))
        return [_webhook(r) for r in rows]

    def replace(self, webhook_id: int, spec: WebhookSpec, at: datetime) -> None:
        self._conn.execute(
            update(t.webhooks)
            .where(t.webhooks.c.id == webhook_id)
            .values({**_spec_values(spec), "updated_at": at})
        )

    def delete(self, webhook_id: int) -> bool:
        d = t.webhook_deliveries.c
        ids = select(d.id).where(d.webhook_id == webhook_id)
        self._conn.execute(
            delete(t.webhook_attempts).where(t.webhook_attempts.c.delivery_id.in_(ids))
        )
        self._conn.execute(delete(t.webhook_deliveries).where(d.webhook_id == webhook_id))
        result = self._conn.execute(delete(t.webhooks).where(t.webhooks.c.id == webhook_id))
        return result.rowcount == 1

    # The outbox ------------------------------------------------------------------------------

    def add_event(
        self,
        event_id: str,
        kind: str,
        payload: dict[str, Any],
        at: datetime,
        webhook_ids: list[int],
    ) -> None:
        """The event and one pending delivery per subscriber, due now."""
        self._conn.execute(
            t.webhook_events.insert().values(id=event_id, kind=kind, payload=payload, created_at=at)
        )
        self._conn.execute(
            t.webhook_deliveries.insert(),
            [
                {
                    "event_id": event_id,
                    "webhook_id": webhook_id,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": at,
                    "updated_at": at,
                }
                for webhook_id in webhook_ids
            ],
        )

    def any_due(self, now: datetime) -> bool:
        d = t.webhook_deliveries.c
        query = select(d.id).where(d.status == "pending", d.next_attempt_at <= now).limit(1)
        return self._conn.execute(query).first() is not None

    def claim(self, now: datetime, lease_until: datetime, token: str, limit: int) -> list[Job]:
        """Take up to ``limit`` due deliveries for this deliverer (``token``) until
        ``lease_until``. Commit right after, so the lease is visible to others."""
        d = t.webhook_deliveries.c
        due = (
            select(d.id)
            .where(d.status == "pending", d.next_attempt_at <= now)
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        if self._conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        self._conn.execute(
            update(t.webhook_deliveries)
            .where(d.id.in_(due.scalar_subquery()), d.status == "pending", d.next_attempt_at <= now)
            .values(claim=token, next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        e, w = t.webhook_events.c, t.webhooks.c
        rows = self._conn.execute(
            select(
                d.id,
                d.event_id,
                d.attempts,
                d.webhook_id,
                e.kind,
                e.payload,
                e.created_at,
                w.url,
                w.secret,
            )
            .join(t.webhook_events, e.id == d.event_id)
            .join(t.webhooks, w.id == d.webhook_id)
            .where(d.claim == token, d.status == "pending")
            .order_by(d.id)
        )
        return [
            Job(
                delivery_id=r.id,
                event_id=r.event_id,
                kind=r.kind,
                payload=r.payload,
                event_at=r.created_at,
                webhook_id=r.webhook_id,
                url=r.url,
                secret=r.secret,
                attempts=r.attempts,
            )
            for r in rows
        ]

    def finish(
        self,
        job: Job,
        token: str,
        at: datetime,
        status_code: int | None,
        latency_ms: int,
        error: str | None,
        next_attempt_at: datetime | None,
        delivered: bool,
    ) -> None:
        """Record one attempt and where the delivery stands after it. A deliverer whose
        lease was taken over (``token`` no longer the claim) records nothing."""
        d = t.webhook_deliveries.c
        status = "delivered" if delivered else ("pending" if next_attempt_at else "failed")
        result = self._conn.execute(
            update(t.webhook_deliveries)
            .where(d.id == job.delivery_id, d.claim == token)
            .values(
                status=status,
                attempts=d.attempts + 1,
                next_attempt_at=None if delivered else next_attempt_at,
                claim=None,
                last_status_code=status_code,
                updated_at=at,
            )
        )
        if result.rowcount != 1:
            return
        self._conn.execute(
            t.webhook_attempts.insert().values(
                delivery_id=job.delivery_id,
                attempt=job.attempts + 1,
                at=at,
                status_code=status_code,
                latency_ms=latency_ms,
                error=error,
            )
        )

    def replay(self, delivery_id: int, now: datetime) -> bool:
        """Due again now, whatever its state (the same event id: receivers deduplicate)."""
        d = t.webhook_deliveries.c
        result = self._conn.execute(
            update(t.webhook_deliveries)
            .where(d.id == delivery_id)
            .values(status="pending", next_attempt_at=now, claim=None, updated_at=now)
        )
        return result.rowcount == 1

    # The delivery log ------------------------------------------------------------------------

    def deliveries(
        self, webhook_id: int | None, limit: int, offset: int = 0
    ) -> tuple[list[Delivery], int]:
        d, e = t.webhook_deliveries.c, t.webhook_events.c
        conditions = [d.webhook_id == webhook_id] if webhook_id is not None else []
        total = int(
            self._conn.scalar(
                select(func.count()).select_from(t.webhook_deliveries).where(*conditions)
            )
            or 0
        )
        rows = self._conn.execute(
            select(t.webhook_deliveries, e.kind, e.payload, e.created_at.label("event_at"))
            .join(t.webhook_events, e.id == d.event_id)
            .where(*conditions)
            .order_by(d.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        logs = self._attempts([r.id for r in rows])
        return [_delivery(r, logs.get(r.id, ())) for r in rows], total

    def delivery(self, delivery_id: int) -> Delivery | None:
        d, e = t.webhook_deliveries.c, t.webhook_events.c
        row = self._conn.execute(
            select(t.webhook_deliveries, e.kind, e.payload, e.created_at.label("event_at"))
            .join(t.webhook_events, e.id == d.event_id)
            .where(d.id == delivery_id)
        ).first()
        if row is None:
            return None
        return _delivery(row, self._attempts([delivery_id]).get(delivery_id, ()))

    def _attempts(self, delivery_ids: list[int]) -> dict[int, tuple[Attempt, ...]]:
        if not delivery_ids:
            return {}
        a = t.webhook_attempts.c
        found: dict[int, list[Attempt]] = {}
        rows = self._conn.execute(
            select(t.webhook_attempts)
            .where(a.delivery_id.in_(delivery_ids))
            .order_by(a.delivery_id, a.attempt, a.id)
        )
        for r in rows:
            found.setdefault(r.delivery_id, []).append(
                Attempt(r.attempt, r.at, r.status_code, r.latency_ms, r.error)
            )
        return {k: tuple(v) for k, v in found.items()}


def _delivery(row: Any, log: tuple[Attempt, ...]) -> Delivery:
    return Delivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        created_at=row.event_at,
        updated_at=row.updated_at,
        payload=row.payload,
        log=log,
    )
