"""Reads of the routing decision log and its daily rollups, and the rollup job's writes.

``routing_daily`` and ``routing_model_daily`` hold, per closed UTC day, the decisions
grouped by category, complexity and tier (``''`` for none), the second also by chosen
model; ``rollup_days`` lists the days rolled up. Which days to roll up, and how an answer
mixes rolled-up and raw days, is the services' business (``services/usage.py``,
``services/analytics.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

from sqlalchemy import Connection, case, delete, func, insert, literal, select

from modelplane.store import tables as t

ROUTING = "routing"
"""The ``rollup_days`` kind of the routing rollup."""
ROUTING_COUNTS = ("decisions", "exploration", "sticky", "fallback", "errors")
"""The counts of a routing row, in the order the rows below carry them."""
_KEYS = ("primary_category", "complexity", "tier")
_TIERS = ("cheap", "mid", "premium")

RoutingRow: TypeAlias = tuple[Any, ...]
"""Category, complexity, tier (``''`` for none) [, chosen model], then the five
``ROUTING_COUNTS`` as ints."""


@dataclass(frozen=True)
class VariantCounts:
    """One experiment variant's decisions: how many, per tier, and how many explored."""

    decisions: int
    tiers: dict[str, int]
    explored: int


class DecisionQueries:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def first_at(self) -> datetime | None:
        """When the oldest decision still in the log was made."""
        first: datetime | None = self._conn.execute(
            select(func.min(t.routing_decisions.c.at))
        ).scalar()
        return first

    def rolled_days(self, since: date, until: date) -> list[date]:
        """The days in ``since`` … ``until`` the routing rollup job has done."""
        r = t.rollup_days.c
        query = select(r.day).where(r.kind == ROUTING, r.day >= since, r.day <= until)
        return list(self._conn.scalars(query))

    def raw_counts(
        self,
        start: datetime,
        end: datetime,
        model_ids: Sequence[str] | None = None,
        by_model: bool = True,
    ) -> list[RoutingRow]:
        """Raw decisions in ``[start, end)`` grouped as the routing rollups group them:
        category, complexity, tier (``''`` for none) and, if ``by_model``, the chosen
        model; then the ``ROUTING_COUNTS``. ``model_ids`` keeps only those chosen."""
        d = t.routing_decisions.c
        tier = func.coalesce(d.tier, literal(""))
        keys = [
            d.primary_category,
            d.complexity,
            tier,
            *([d.selected_model_id] if by_model else []),
        ]
        query = select(
            *keys,
            func.count(),
            func.sum(case((d.exploration, 1), else_=0)),
            func.sum(case((d.is_sticky, 1), else_=0)),
            func.sum(case((d.is_fallback, 1), else_=0)),
            func.sum(case((d.error.is_(None), 0), else_=1)),
        ).where(d.at >= start, d.at < end)
        if model_ids is not None:
            query = query.where(d.selected_model_id.in_(model_ids))
        return [_ints(row, len(keys)) for row in self._conn.execute(query.group_by(*keys))]

    def rolled_counts(
        self, since: date, until: date, model_ids: Sequence[str] | None = None
    ) -> list[RoutingRow]:
        """The rolled-up days in ``since`` … ``until`` grouped by category, complexity and
        tier, with their ``ROUTING_COUNTS``; ``model_ids`` keeps only those chosen (read
        from the per-model rollup)."""
        table = t.routing_daily if model_ids is None else t.routing_model_daily
        r = table.c
        keys = [r.primary_category, r.complexity, r.tier]
        query = select(*keys, *(func.sum(r[c]) for c in ROUTING_COUNTS)).where(
            r.day >= since, r.day <= until
        )
        if model_ids is not None:
            query = query.where(r.selected_model_id.in_(model_ids))
        return [_ints(row, len(keys)) for row in self._conn.execute(query.group_by(*keys))]

    def variant_counts(self, experiment: str) -> dict[str, VariantCounts]:
        """Per variant of ``experiment`` that decided anything: decisions, per tier, and
        exploration picks."""
        d = t.routing_decisions.c
        query = (
            select(
                d.variant,
                func.count(),
                *(func.sum(case((d.tier == tier, 1), else_=0)) for tier in _TIERS),
                func.sum(case((d.exploration.is_(True), 1), else_=0)),
            )
            .where(d.experiment == experiment)
            .group_by(d.variant)
        )
        out: dict[str, VariantCounts] = {}
        for variant, decisions, *tiers, explored in self._conn.execute(query):
            counts = dict(zip(_TIERS, (int(n) for n in tiers), strict=True))
            out[variant] = VariantCounts(int(decisions), counts, int(explored))
        return out

    def variant_costs(self, experiment: str) -> dict[str, list[Decimal]]:
        """Per variant of ``experiment``: the estimated cost per 1K tokens of each of its
        decisions that has one (exact; the mean is the caller's)."""
        d = t.routing_decisions.c
        query = select(d.variant, d.cost_per_1k).where(
            d.experiment == experiment, d.cost_per_1k.is_not(None)
        )
        costs: dict[str, list[Decimal]] = {}
        for variant, cost in self._conn.execute(query):
            costs.setdefault(variant, []).append(Decimal(cost))
        return costs


class RoutingRollupRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def roll_day(self, day: date, now: datetime) -> None:
        """(Re)write the rollups of ``day`` from the raw decisions and mark it rolled up."""
        start = datetime.combine(day, time(), UTC)
        by_model = DecisionQueries(self._conn).raw_counts(start, start + timedelta(days=1))
        totals: dict[tuple[str, str, str], list[int]] = {}
        for category, complexity, tier, _model, *counts in by_model:
            sums = totals.setdefault((category, complexity, tier), [0] * len(ROUTING_COUNTS))
            for i, value in enumerate(counts):
                sums[i] += value
        for table in (t.routing_daily, t.routing_model_daily):
            self._conn.execute(delete(table).where(table.c.day == day))
        if by_model:
            model_columns = ("day", *_KEYS, "selected_model_id", *ROUTING_COUNTS)
            self._conn.execute(
                insert(t.routing_model_daily),
                [dict(zip(model_columns, (day, *r), strict=True)) for r in by_model],
            )
            columns = ("day", *_KEYS, *ROUTING_COUNTS)
            self._conn.execute(
                insert(t.routing_daily),
                [dict(zip(columns, (day, *k, *v), strict=True)) for k, v in totals.items()],
            )
        self._conn.execute(insert(t.rollup_days).values(kind=ROUTING, day=day, rolled_at=now))


def _ints(row: Sequence[Any], keys: int) -> RoutingRow:
    """The row's keys as they are, its counts as ints (sums may come back as Decimals)."""
    return (*row[:keys], *(int(v or 0) for v in row[keys:]))


__all__ = [
    "ROUTING",
    "ROUTING_COUNTS",
    "DecisionQueries",
    "RoutingRollupRepository",
    "RoutingRow",
    "VariantCounts",
]
