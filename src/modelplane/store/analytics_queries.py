"""Reads of ``usage_daily``: the sums behind every usage answer.

Each query returns plain sums; what they mean (totals, rates, percentiles) is
``services/analytics.py``'s. A window is whole UTC days, the grain of the rollup, so a
90-day question over millions of events sums a few thousand rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeAlias

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from modelplane.domain.usage import LATENCY_BUCKETS, UsageFilter, Window, bucket_column
from modelplane.store import tables as t

TopBy: TypeAlias = Literal["requests", "tokens", "cost"]
BreakdownBy: TypeAlias = Literal["feature", "provider"]

Sums: TypeAlias = tuple[int, int, int, int, int, int, int, int]
"""requests, errors, input, output, cached and reasoning tokens, cost in nano-dollars and
the latency sum (ms) of a group of events; zeros when no row matched."""


@dataclass(frozen=True)
class LatencyRow:
    """One model's requests, errors and latency sum, and its latency histogram (bucket
    index to count, empty buckets left out)."""

    model_id: str
    requests: int
    errors: int
    latency_ms_sum: int
    histogram: dict[int, int]


_D = t.usage_daily.c
_SUMS = [
    func.sum(_D.requests),
    func.sum(_D.errors),
    func.sum(_D.input_tokens),
    func.sum(_D.output_tokens),
    func.sum(_D.cached_tokens),
    func.sum(_D.reasoning_tokens),
    func.sum(_D.cost_nano),
    func.sum(_D.latency_ms_sum),
]
_ORDER: dict[str, ColumnElement[Any]] = {
    "requests": func.sum(_D.requests),
    "tokens": func.sum(_D.input_tokens + _D.output_tokens + _D.cached_tokens + _D.reasoning_tokens),
    "cost": func.sum(_D.cost_nano),
}
_BREAKDOWN: dict[str, Any] = {"feature": _D.feature, "provider": _D.provider_id}


def _sums(values: Sequence[Any]) -> Sums:
    n = [int(v or 0) for v in values]
    return (n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7])


class UsageQueries:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _where(self, query: Select[Any], window: Window, filters: UsageFilter) -> Select[Any]:
        query = query.where(_D.day >= window.since, _D.day <= window.until)
        if filters.model is not None:
            query = query.where(_D.model_id == filters.model)
        if filters.provider is not None:
            query = query.where(_D.provider_id == filters.provider)
        if filters.feature is not None:
            query = query.where(_D.feature == filters.feature)
        return query

    def totals(self, window: Window, filters: UsageFilter) -> Sums:
        return _sums(self._conn.execute(self._where(select(*_SUMS), window, filters)).one())

    def top_models(
        self, window: Window, filters: UsageFilter, by: TopBy, limit: int
    ) -> list[tuple[str, str, Sums]]:
        """(model, provider, sums), the largest ``by`` first; ties by model id."""
        query = self._where(select(_D.model_id, _D.provider_id, *_SUMS), window, filters)
        query = query.group_by(_D.model_id, _D.provider_id)
        rows = self._conn.execute(query.order_by(_ORDER[by].desc(), _D.model_id).limit(limit))
        return [(r[0], r[1], _sums(r[2:])) for r in rows]

    def by_day(self, window: Window, filters: UsageFilter) -> dict[date, Sums]:
        """The sums of each day that has usage."""
        query = self._where(select(_D.day, *_SUMS), window, filters).group_by(_D.day)
        return {r[0]: _sums(r[1:]) for r in self._conn.execute(query)}

    def breakdown(
        self, window: Window, filters: UsageFilter, by: BreakdownBy
    ) -> list[tuple[str, Sums]]:
        """(feature or provider, sums), most requests first; ties by name."""
        column = _BREAKDOWN[by]
        query = self._where(select(column, *_SUMS), window, filters).group_by(column)
        rows = self._conn.execute(query.order_by(func.sum(_D.requests).desc(), column))
        return [(r[0], _sums(r[1:])) for r in rows]

    def latency_by_day(self, window: Window, filters: UsageFilter) -> dict[date, dict[int, int]]:
        """Each day's latency histogram over every matching model (days with usage only)."""
        buckets = [func.sum(_D[bucket_column(b)]) for b in range(LATENCY_BUCKETS)]
        query = self._where(select(_D.day, *buckets), window, filters).group_by(_D.day)
        return {
            day: {b: int(n) for b, n in enumerate(counts) if n}
            for day, *counts in self._conn.execute(query)
        }

    def latency(self, window: Window, filters: UsageFilter) -> list[LatencyRow]:
        """Per model with usage, in no particular order."""
        buckets = [func.sum(_D[bucket_column(b)]) for b in range(LATENCY_BUCKETS)]
        query = self._where(
            select(_D.model_id, _SUMS[0], _SUMS[1], _SUMS[7], *buckets), window, filters
        ).group_by(_D.model_id)
        return [
            LatencyRow(
                model_id,
                int(requests),
                int(errors),
                int(latency_sum),
                {b: int(n) for b, n in enumerate(counts) if n},
            )
            for model_id, requests, errors, latency_sum, *counts in self._conn.execute(query)
        ]


__all__ = ["BreakdownBy", "LatencyRow", "Sums", "TopBy", "UsageQueries"]
