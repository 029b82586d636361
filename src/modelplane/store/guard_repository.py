"""Rows of the guard: the leader's lease and the record of what the guard did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.exc import IntegrityError

from modelplane.store import tables as t


class GuardRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold the lease ``name`` until ``until`` if it is free, expired or already
        ``holder``'s; ``False`` if another holder's lease is still running. One statement
        decides (an UPDATE guarded by its WHERE, or an INSERT the primary key refuses to a
        second taker), so two processes racing cannot both win."""
        g = t.guard_leases.c
        taken = self._conn.execute(
            update(t.guard_leases)
            .where(g.name == name, or_(g.holder == holder, g.expires_at < now))
            .values(holder=holder, expires_at=until)
        )
        if taken.rowcount == 1:
            return True
        exists = self._conn.scalar(select(g.name).where(g.name == name))
        if exists is not None:
            return False
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    t.guard_leases.insert().values(name=name, holder=holder, expires_at=until)
                )
        except IntegrityError:
            return False
        return True

    def holder(self, name: str, now: datetime) -> str | None:
        g = t.guard_leases.c
        return self._conn.scalar(select(g.holder).where(g.name == name, g.expires_at >= now))

    def add_event(
        self, at: datetime, kind: str, name: str, action: str, evidence: dict[str, Any]
    ) -> None:
        self._conn.execute(
            t.guard_events.insert().values(
                at=at, kind=kind, name=name, action=action, evidence=evidence
            )
        )

    def events(self, since: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
        e = t.guard_events.c
        query = select(t.guard_events).order_by(e.id.desc()).limit(limit)
        if since is not None:
            query = query.where(e.at >= since)
        return [
            {
                "at": r.at.isoformat(),
                "kind": r.kind,
                "name": r.name,
                "action": r.action,
                "evidence": r.evidence,
            }
            for r in self._conn.execute(query)
        ]

    def set_experiment_guardrails(self, name: str, guardrails: list[dict[str, Any]] | None) -> None:
        self._conn.execute(
            update(t.experiments).where(t.experiments.c.name == name).values(guardrails=guardrails)
        )
