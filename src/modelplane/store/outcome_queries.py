"""Outcomes joined to decisions: for a set of routing decisions (an experiment's, or those
since a flag's step began), each one's usage and feedback, joined by ``decision_id``.

The statistics are the domain's (``domain/statistics.py``); which decisions make an arm is
the services' (``services/outcomes.py``). Rows come back as plain tuples, costs as Decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Select, select
from sqlalchemy.sql.elements import ColumnElement

from modelplane.store import tables as t


@dataclass(frozen=True)
class DecisionOutcome:
    """One decision and what followed it."""

    decision_id: str
    at: datetime
    variant: str | None
    enrolled_flags: str
    is_fallback: bool
    router_error: bool
    usage_events: int = 0
    cost: Decimal = Decimal(0)
    latency_ms: int = 0
    failed_events: int = 0
    feedback_scores: tuple[float, ...] = ()


class OutcomeQueries:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def for_experiment(self, name: str) -> list[DecisionOutcome]:
        """Every logged decision of experiment ``name``, with its usage and feedback."""
        return self._outcomes(t.routing_decisions.c.experiment == name)

    def since(self, moment: datetime) -> list[DecisionOutcome]:
        """Every logged decision made at or after ``moment``, with its usage and feedback."""
        return self._outcomes(t.routing_decisions.c.at >= moment)

    def _outcomes(self, where: ColumnElement[bool]) -> list[DecisionOutcome]:
        d = t.routing_decisions.c
        chosen: Select[tuple[str]] = select(d.decision_id).where(where, d.decision_id.is_not(None))
        decisions = self._conn.execute(
            select(d.decision_id, d.at, d.variant, d.enrolled_flags, d.is_fallback, d.error).where(
                where, d.decision_id.is_not(None)
            )
        ).all()
        u = t.usage_events.c
        usage: dict[str, list[tuple[Decimal, int, bool]]] = {}
        for decision_id, cost, latency, success in self._conn.execute(
            select(u.decision_id, u.cost, u.latency_ms, u.success).where(u.decision_id.in_(chosen))
        ):
            usage.setdefault(decision_id, []).append((cost, latency, success))
        f = t.feedback_events.c
        feedback: dict[str, list[float]] = {}
        for decision_id, score in self._conn.execute(
            select(f.decision_id, f.score).where(f.decision_id.in_(chosen))
        ):
            feedback.setdefault(decision_id, []).append(float(score))
        out = []
        for row in decisions:
            events = usage.get(row.decision_id, [])
            out.append(
                DecisionOutcome(
                    decision_id=row.decision_id,
                    at=row.at,
                    variant=row.variant,
                    enrolled_flags=row.enrolled_flags or "",
                    is_fallback=bool(row.is_fallback),
                    router_error=row.error is not None,
                    usage_events=len(events),
                    cost=sum((e[0] for e in events), Decimal(0)),
                    latency_ms=sum(e[1] for e in events),
                    failed_events=sum(1 for e in events if not e[2]),
                    feedback_scores=tuple(feedback.get(row.decision_id, ())),
                )
            )
        return out
