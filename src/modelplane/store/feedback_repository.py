"""Rows of ``feedback_events``: verdicts on routing decisions, stored once per event id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from modelplane.store import tables as t


class FeedbackRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add_new(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Insert the rows whose event id is not stored yet, and return them. A concurrent
        resend that inserted an id meanwhile is skipped by ``ON CONFLICT DO NOTHING``."""
        f = t.feedback_events.c
        ids = [r["event_id"] for r in rows if r["event_id"] is not None]
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            known.update(self._conn.scalars(select(f.event_id).where(f.event_id.in_(chunk))))
        new = [r for r in rows if r["event_id"] is None or r["event_id"] not in known]
        if new:
            dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(t.feedback_events).on_conflict_do_nothing(
                index_elements=["event_id"]
            )
            self._conn.execute(statement, new)
        return new

    def unknown_decisions(self, decision_ids: Sequence[str]) -> set[str]:
        """Those of ``decision_ids`` that are not in the decision log."""
        d = t.routing_decisions.c
        wanted = sorted(set(decision_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(self._conn.scalars(select(d.decision_id).where(d.decision_id.in_(chunk))))
        return set(wanted) - found

    def orphaned(self) -> int:
        """Feedback rows whose decision is not in the decision log."""
        f = t.feedback_events.c
        d = t.routing_decisions.c
        known = select(d.decision_id).where(d.decision_id == f.decision_id).exists()
        query = select(func.count()).select_from(t.feedback_events).where(~known)
        return int(self._conn.scalar(query) or 0)
