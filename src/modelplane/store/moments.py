"""Moments that come with no write (a scheduled price taking effect, a sunset passing):
which are due by the database's clock, and the claim that announces each exactly once
however many processes look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeAlias

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite

from modelplane.domain.clock import utcnow
from modelplane.store import tables as t

MomentKind: TypeAlias = Literal["price", "sunset"]


@dataclass(frozen=True)
class DuePrice:
    """A price that was scheduled ahead (recorded before it applies) and now applies."""

    model_id: str
    effective_from: datetime
    recorded_at: datetime
    recorded_by: str
    reason: str | None


@dataclass(frozen=True)
class DueSunset:
    model_id: str
    sunset_date: datetime


def _unannounced(kind: MomentKind, model_id: Any, at: Any) -> ColumnElement[bool]:
    m = t.announced_moments.c
    return ~exists().where(m.kind == kind, m.model_id == model_id, m.at == at)


class MomentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def database_now(self) -> datetime:
        """The database's clock on PostgreSQL (the one every process shares); the
        caller's on SQLite (one host)."""
        if self._conn.dialect.name == "postgresql":
            now = self._conn.execute(select(func.now())).scalar_one()
            assert isinstance(now, datetime)
            return now
        return utcnow()

    def due_prices(self, now: datetime, limit: int = 200) -> list[DuePrice]:
        """Scheduled prices in force by ``now`` and not yet announced, oldest first. A
        price dated at or before its own recording (an undated edit, a back-dated entry)
        applied when it was written: it is no moment to announce."""
        c = t.model_prices.c
        query = (
            select(c.model_id, c.effective_from, c.recorded_at, c.recorded_by, c.reason)
            .where(
                and_(c.recorded_at < c.effective_from, c.effective_from <= now),
                _unannounced("price", c.model_id, c.effective_from),
            )
            .order_by(c.effective_from, c.model_id)
            .limit(limit)
        )
        return [DuePrice(**r._mapping) for r in self._conn.execute(query)]

    def due_sunsets(self, now: datetime, limit: int = 200) -> list[DueSunset]:
        """Models at or past their sunset whose sunset was not yet announced."""
        c = t.models.c
        query = (
            select(c.id, c.sunset_date)
            .where(c.sunset_date <= now, _unannounced("sunset", c.id, c.sunset_date))
            .order_by(c.sunset_date, c.id)
            .limit(limit)
        )
        return [DueSunset(r.id, r.sunset_date) for r in self._conn.execute(query)]

    def claim(self, kind: MomentKind, model_id: str, at: datetime, now: datetime) -> bool:
        """Record the moment as announced in this transaction: True for exactly one
        claimant. A racing transaction waits on the key, then finds it taken."""
        values = {"kind": kind, "model_id": model_id, "at": at, "announced_at": now}
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(t.announced_moments)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(t.announced_moments.c.kind)  # a row back: this one inserted it
        )
        return self._conn.execute(statement).first() is not None
