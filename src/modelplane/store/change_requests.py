"""Approval policies and change requests: their rows, their events, and the claim that
makes a scheduled apply run exactly once however many processes look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from modelplane.domain.clock import utcnow
from modelplane.store import tables as t


@dataclass(frozen=True)
class PolicyRow:
    kind: str
    approvers: int
    role: str
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class RequestRow:
    id: int
    title: str
    reason: str | None
    author: str
    state: str
    changes: list[dict[str, Any]]
    apply_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class EventRow:
    at: datetime
    actor: str
    action: str
    text: str | None


class ChangeRequestRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # policies ---------------------------------------------------------------------------

    def policy(self, kind: str) -> PolicyRow | None:
        row = self._conn.execute(
            select(t.approval_policies).where(t.approval_policies.c.kind == kind)
        ).first()
        return PolicyRow(**row._mapping) if row is not None else None

    def policies(self) -> list[PolicyRow]:
        rows = self._conn.execute(select(t.approval_policies).order_by(t.approval_policies.c.kind))
        return [PolicyRow(**r._mapping) for r in rows]

    def put_policy(self, row: PolicyRow) -> None:
        values = {
            "approvers": row.approvers,
            "role": row.role,
            "version": row.version,
            "updated_at": row.updated_at,
            "updated_by": row.updated_by,
        }
        if row.version == 1:
            self._conn.execute(t.approval_policies.insert().values(kind=row.kind, **values))
        else:
            self._conn.execute(
                t.approval_policies.update()
                .where(t.approval_policies.c.kind == row.kind)
                .values(**values)
            )

    # requests ---------------------------------------------------------------------------

    def add(self, title: str, reason: str | None, author: str, state: str, changes: Any) -> int:
        at = utcnow()
        result = self._conn.execute(
            t.change_requests.insert().values(
                title=title,
                reason=reason,
                author=author,
                state=state,
                changes=changes,
                created_at=at,
                updated_at=at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def get(self, request_id: int, *, lock: bool = False) -> RequestRow | None:
        query = select(t.change_requests).where(t.change_requests.c.id == request_id)
        if lock and self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self._conn.execute(query).first()
        return RequestRow(**row._mapping) if row is not None else None

    def matching(self, state: str | None = None) -> list[RequestRow]:
        query = select(t.change_requests).order_by(t.change_requests.c.id.desc())
        if state is not None:
            query = query.where(t.change_requests.c.state == state)
        return [RequestRow(**r._mapping) for r in self._conn.execute(query)]

    def count(self, states: tuple[str, ...]) -> int:
        query = select(func.count()).where(t.change_requests.c.state.in_(states))
        return int(self._conn.execute(query).scalar_one())

    def set(self, request_id: int, **values: Any) -> None:
        self._conn.execute(
            t.change_requests.update()
            .where(t.change_requests.c.id == request_id)
            .values(updated_at=utcnow(), **values)
        )

    def database_now(self) -> datetime:
        """The database's clock on PostgreSQL (the one every process shares); this
        process's on SQLite (one host)."""
        if self._conn.dialect.name == "postgresql":
            now = self._conn.execute(select(func.now())).scalar_one()
            assert isinstance(now, datetime)
            return now
        return utcnow()

    def next_due(self) -> tuple[datetime | None, datetime]:
        """The earliest scheduled request's time and the database's clock at this read, in
        one round trip (PostgreSQL's ``clock_timestamp()``: the moment of the statement,
        not the transaction's start), so a caller can sleep until it on the database's
        clock whatever its own says."""
        c = t.change_requests.c
        if self._conn.dialect.name != "postgresql":
            query = select(func.min(c.apply_at)).where(c.state == "scheduled")
            return self._conn.execute(query).scalar_one(), utcnow()
        query = select(func.min(c.apply_at), func.clock_timestamp()).where(c.state == "scheduled")
        row = self._conn.execute(query).one()
        at: datetime | None = row[0]
        now: datetime = row[1]
        return at, now

    def database_clock(self) -> datetime:
        """The database's clock at this statement (``now()`` is the transaction's start)."""
        if self._conn.dialect.name == "postgresql":
            now = self._conn.execute(select(func.clock_timestamp())).scalar_one()
            assert isinstance(now, datetime)
            return now
        return utcnow()

    def due(self, ahead: float = 0.0) -> list[int]:
        """Scheduled requests whose time has come (or comes within ``ahead`` seconds), by
        the database's clock."""
        c = t.change_requests.c
        until = self.database_now() + timedelta(seconds=ahead)
        query = (
            select(c.id)
            .where(c.state == "scheduled", c.apply_at <= until)
            .order_by(c.apply_at, c.id)
        )
        return [int(r) for r in self._conn.execute(query).scalars()]

    def claim(self, request_id: int, ahead: float = 0.0, skip_held: bool = False) -> bool:
        """Take a due scheduled request (or one due within ``ahead`` seconds) for this
        transaction: True for exactly one claimant. A racing transaction waits on the row
        lock, then finds the state moved on; with ``skip_held`` (PostgreSQL) it does not
        wait: a request another transaction holds is not claimed (False at once)."""
        c = t.change_requests.c
        until = self.database_now() + timedelta(seconds=ahead)
        if skip_held and self._conn.dialect.name == "postgresql":
            free = self._conn.execute(
                select(c.id)
                .where(c.id == request_id, c.state == "scheduled", c.apply_at <= until)
                .with_for_update(skip_locked=True)
            ).first()
            if free is None:
                return False
        result = self._conn.execute(
            t.change_requests.update()
            .where(c.id == request_id, c.state == "scheduled", c.apply_at <= until)
            .values(state="applying", updated_at=utcnow())
        )
        return result.rowcount == 1

    # events -----------------------------------------------------------------------------

    def event(
        self,
        request_id: int,
        actor: str,
        action: str,
        text: str | None,
        at: datetime | None = None,
    ) -> None:
        self._conn.execute(
            t.change_request_events.insert().values(
                request_id=request_id, at=at or utcnow(), actor=actor, action=action, text=text
            )
        )

    def events(self, request_id: int) -> list[EventRow]:
        c = t.change_request_events.c
        query = (
            select(c.at, c.actor, c.action, c.text).where(c.request_id == request_id).order_by(c.id)
        )
        return [EventRow(**r._mapping) for r in self._conn.execute(query)]
