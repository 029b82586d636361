"""The questions admins ask of usage and of the router, answered from the daily rollups.

Every usage answer reads ``usage_daily`` only: a window is whole UTC days, so a 90-day
question over millions of events sums a few thousand rows, and pruning raw events changes
no answer. Router answers read ``routing_daily`` (or, for one model or provider,
``routing_model_daily``) for the days the job has rolled up and the raw decision log for
the rest (usually just today).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeAlias

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.reader import CatalogReader, ModelFilter
from modelplane.domain.router_config import COMPLEXITIES, TIERS, TierWeightsByComplexity
from modelplane.domain.usage import (
    LATENCY_BUCKETS,
    PERCENTILES,
    UsageFilter,
    Window,
    bucket_column,
    from_nano,
    percentile_ms,
)
from modelplane.services.usage import rolled_days, routing_counts
from modelplane.store import tables as t

TopBy: TypeAlias = Literal["requests", "tokens", "cost"]
TOP_BY: tuple[TopBy, ...] = ("requests", "tokens", "cost")
BreakdownBy: TypeAlias = Literal["feature", "provider"]
BREAKDOWN_BY: tuple[BreakdownBy, ...] = ("feature", "provider")


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@dataclass(frozen=True)
class Totals:
    """Sums over a group of events. Cost is exact (USD)."""

    requests: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal = Decimal(0)
    latency_ms_sum: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cached_tokens + self.reasoning_tokens

    @property
    def error_rate(self) -> float | None:
        return _rate(self.errors, self.requests)

    @property
    def mean_latency_ms(self) -> float | None:
        return None if self.requests == 0 else self.latency_ms_sum / self.requests

    def to_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "errorRate": self.error_rate,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "cachedTokens": self.cached_tokens,
            "reasoningTokens": self.reasoning_tokens,
            "tokens": self.tokens,
            "costUsd": str(self.cost),
        }

    @classmethod
    def of(cls, values: Sequence[Any]) -> Totals:
        """From the eight sums ``_SUMS`` selects (``None`` when no row matched)."""
        n = [int(v or 0) for v in values]
        return cls(n[0], n[1], n[2], n[3], n[4], n[5], from_nano(n[6]), n[7])


@dataclass(frozen=True)
class Group:
    """One row of an answer: its key (a model id, a feature, a provider, a day) and sums."""

    key: str
    totals: Totals
    provider: str | None = None

    def to_json(self, key_name: str) -> dict[str, object]:
        extra = {"provider": self.provider} if self.provider is not None else {}
        return {key_name: self.key, **extra, **self.totals.to_json()}


@dataclass(frozen=True)
class ModelLatency:
    model_id: str
    requests: int
    errors: int
    mean_ms: float | None
    percentiles: dict[int, int | None]

    @property
    def error_rate(self) -> float | None:
        return _rate(self.errors, self.requests)

    def to_json(self) -> dict[str, object]:
        return {
            "model": self.model_id,
            "requests": self.requests,
            "errors": self.errors,
            "errorRate": self.error_rate,
            "meanMs": self.mean_ms,
            **{f"p{p}Ms": v for p, v in self.percentiles.items()},
        }


# Usage ---------------------------------------------------------------------------------------

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
_ORDER: dict[TopBy, ColumnElement[Any]] = {
    "requests": func.sum(_D.requests),
    "tokens": func.sum(_D.input_tokens + _D.output_tokens + _D.cached_tokens + _D.reasoning_tokens),
    "cost": func.sum(_D.cost_nano),
}


def _where(query: Select[Any], table: Any, window: Window, filters: UsageFilter) -> Select[Any]:
    c = table.c
    query = query.where(c.day >= window.since, c.day <= window.until)
    if filters.model is not None:
        query = query.where(c.model_id == filters.model)
    if filters.provider is not None:
        query = query.where(c.provider_id == filters.provider)
    if filters.feature is not None:
        query = query.where(c.feature == filters.feature)
    return query


def totals(conn: Connection, window: Window, filters: UsageFilter) -> Totals:
    row = conn.execute(_where(select(*_SUMS), t.usage_daily, window, filters)).one()
    return Totals.of(row)


def top_models(
    conn: Connection, window: Window, filters: UsageFilter, by: TopBy = "requests", limit: int = 10
) -> list[Group]:
    """The most used models by requests, tokens or cost; ties by model id."""
    if by not in _ORDER:
        raise InvalidInput([FieldError("by", f"must be one of {', '.join(TOP_BY)}")])
    query = _where(select(_D.model_id, _D.provider_id, *_SUMS), t.usage_daily, window, filters)
    query = query.group_by(_D.model_id, _D.provider_id)
    rows = conn.execute(query.order_by(_ORDER[by].desc(), _D.model_id).limit(limit))
    return [Group(r[0], Totals.of(r[2:]), provider=r[1]) for r in rows]


def daily(conn: Connection, window: Window, filters: UsageFilter) -> list[Group]:
    """One row per day of the window, days without usage included (as zeros)."""
    query = _where(select(_D.day, *_SUMS), t.usage_daily, window, filters).group_by(_D.day)
    found = {r[0]: Totals.of(r[1:]) for r in conn.execute(query)}
    return [Group(d.isoformat(), found.get(d, Totals())) for d in window.each_day()]


def breakdown(
    conn: Connection, window: Window, filters: UsageFilter, by: BreakdownBy
) -> list[Group]:
    """Usage per feature or per provider, most requests first."""
    if by not in BREAKDOWN_BY:
        raise InvalidInput([FieldError("by", f"must be one of {', '.join(BREAKDOWN_BY)}")])
    column = _D.feature if by == "feature" else _D.provider_id
    query = _where(select(column, *_SUMS), t.usage_daily, window, filters).group_by(column)
    rows = conn.execute(query.order_by(func.sum(_D.requests).desc(), column))
    return [Group(r[0], Totals.of(r[1:])) for r in rows]


def latency(conn: Connection, window: Window, filters: UsageFilter) -> list[ModelLatency]:
    """Error rate, mean and percentile latencies per model, most requests first.
    Percentiles are bucket upper bounds (see ``catalog.usage.percentile_ms``)."""
    buckets = [func.sum(_D[bucket_column(b)]) for b in range(LATENCY_BUCKETS)]
    query = _where(
        select(_D.model_id, _SUMS[0], _SUMS[1], _SUMS[7], *buckets), t.usage_daily, window, filters
    ).group_by(_D.model_id)
    out = []
    for model_id, requests, errors, latency_sum, *counts in conn.execute(query):
        histogram = {b: int(n) for b, n in enumerate(counts) if n}
        out.append(
            ModelLatency(
                model_id,
                int(requests),
                int(errors),
                int(latency_sum) / int(requests) if requests else None,
                {p: percentile_ms(histogram, p) for p in PERCENTILES},
            )
        )
    return sorted(out, key=lambda m: (-m.requests, m.model_id))


# Router --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierShare:
    complexity: str
    tier: str | None
    decisions: int
    share: float | None
    configured: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "complexity": self.complexity,
            "tier": self.tier,
            "decisions": self.decisions,
            "share": self.share,
            "configuredWeight": self.configured,
        }


@dataclass
class RouterStats:
    decisions: int = 0
    exploration: int = 0
    sticky: int = 0
    fallback: int = 0
    errors: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_complexity: dict[str, int] = field(default_factory=dict)
    by_category_complexity: dict[tuple[str, str], int] = field(default_factory=dict)
    by_tier: dict[tuple[str, str], int] = field(default_factory=dict)
    tier_mix: list[TierShare] = field(default_factory=list)

    @property
    def exploration_rate(self) -> float | None:
        return _rate(self.exploration, self.decisions)

    @property
    def sticky_rate(self) -> float | None:
        return _rate(self.sticky, self.decisions)

    def add(self, row: Sequence[Any]) -> None:
        category, complexity, tier, n, explore, sticky, fallback, errors = row
        n = int(n)
        self.decisions += n
        self.exploration += int(explore)
        self.sticky += int(sticky)
        self.fallback += int(fallback)
        self.errors += int(errors)
        self.by_category[category] = self.by_category.get(category, 0) + n
        self.by_complexity[complexity] = self.by_complexity.get(complexity, 0) + n
        pair = (category, complexity)
        self.by_category_complexity[pair] = self.by_category_complexity.get(pair, 0) + n
        self.by_tier[(complexity, tier)] = self.by_tier.get((complexity, tier), 0) + n

    def to_json(self) -> dict[str, object]:
        return {
            "decisions": self.decisions,
            "explorationRate": self.exploration_rate,
            "stickyRate": self.sticky_rate,
            "exploration": self.exploration,
            "sticky": self.sticky,
            "fallback": self.fallback,
            "errors": self.errors,
            "byCategory": [
                {"category": k, "decisions": v} for k, v in _most_first(self.by_category)
            ],
            "byComplexity": [
                {"complexity": k, "decisions": v} for k, v in _most_first(self.by_complexity)
            ],
            "byCategoryAndComplexity": [
                {"category": c, "complexity": x, "decisions": v}
                for (c, x), v in sorted(self.by_category_complexity.items())
            ],
            "tierMix": [s.to_json() for s in self.tier_mix],
        }


def _most_first(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def router_stats(
    conn: Connection, reader: CatalogReader, window: Window, filters: UsageFilter
) -> RouterStats:
    """Decisions by category and complexity, the tier mix against the configured tier
    weights, and the exploration, sticky and fallback counts. ``filters.model`` and
    ``filters.provider`` select by the chosen model; decisions carry no feature, so
    ``filters.feature`` does not apply to them."""
    models = _model_ids(reader, filters)
    stats = RouterStats()
    for row in _rolled_rows(conn, window, models):
        stats.add(row)
    rolled = set(rolled_days(conn, window.since, window.until))
    for start, end in _gaps(window, rolled):
        for row in routing_counts(conn, start, end, models, by_model=False):
            stats.add(row)
    stats.tier_mix = _tier_mix(stats, reader)
    return stats


def _model_ids(reader: CatalogReader, filters: UsageFilter) -> list[str] | None:
    if filters.provider is None:
        return None if filters.model is None else [filters.model]
    ids = [m.id for m in reader.models(ModelFilter(provider=filters.provider))]
    return [i for i in ids if filters.model in (None, i)]


def _rolled_rows(conn: Connection, window: Window, models: list[str] | None) -> list[Any]:
    table = t.routing_daily if models is None else t.routing_model_daily
    r = table.c
    keys = [r.primary_category, r.complexity, r.tier]
    query = select(
        *keys,
        func.sum(r.decisions),
        func.sum(r.exploration),
        func.sum(r.sticky),
        func.sum(r.fallback),
        func.sum(r.errors),
    ).where(r.day >= window.since, r.day <= window.until)
    if models is not None:
        query = query.where(r.selected_model_id.in_(models))
    return list(conn.execute(query.group_by(*keys)))


def _gaps(window: Window, rolled: set[date]) -> list[tuple[datetime, datetime]]:
    """Runs of days not rolled up, as ``[start, end)`` UTC timestamps."""
    runs: list[tuple[datetime, datetime]] = []
    for day in window.each_day():
        if day in rolled:
            continue
        start = datetime.combine(day, time(), UTC)
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], start + timedelta(days=1))
        else:
            runs.append((start, start + timedelta(days=1)))
    return runs


def _tier_mix(stats: RouterStats, reader: CatalogReader) -> list[TierShare]:
    weights = reader.router_config().tier_weights
    out = []
    order: dict[str, int] = {c: i for i, c in enumerate(COMPLEXITIES)}
    for complexity in sorted(stats.by_complexity, key=lambda c: (order.get(c, len(order)), c)):
        total = stats.by_complexity[complexity]
        tiers = [tier for (cx, tier) in stats.by_tier if cx == complexity]
        for tier in [*TIERS, *sorted(x for x in tiers if x not in TIERS)]:
            n = stats.by_tier.get((complexity, tier), 0)
            configured = _configured(weights, complexity, tier)
            if n or configured is not None:
                out.append(TierShare(complexity, tier or None, n, _rate(n, total), configured))
    return out


def _configured(weights: TierWeightsByComplexity, complexity: str, tier: str) -> float | None:
    """The configured weight of ``tier`` for ``complexity``; ``None`` for names the config
    does not know (a tier-less decision, say)."""
    for c in COMPLEXITIES:
        for x in TIERS:
            if (c, x) == (complexity, tier):
                return weights.of(c).of(x)
    return None


__all__ = [
    "BREAKDOWN_BY",
    "TOP_BY",
    "BreakdownBy",
    "Group",
    "ModelLatency",
    "RouterStats",
    "TierShare",
    "TopBy",
    "Totals",
    "breakdown",
    "daily",
    "latency",
    "router_stats",
    "top_models",
    "totals",
]
