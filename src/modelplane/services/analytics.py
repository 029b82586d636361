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
from typing import Any

from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.reader import CatalogReader, ModelFilter
from modelplane.domain.router_config import COMPLEXITIES, TIERS, TierWeightsByComplexity
from modelplane.domain.usage import PERCENTILES, UsageFilter, Window, from_nano, percentile_ms
from modelplane.services.usage import UnitOfWorkFactory
from modelplane.store.analytics_queries import BreakdownBy, LatencyRow, Sums, TopBy, UsageQueries
from modelplane.store.decision_queries import DecisionQueries

TOP_BY: tuple[TopBy, ...] = ("requests", "tokens", "cost")
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
    def of(cls, sums: Sums) -> Totals:
        """From the eight sums of ``store.analytics_queries`` (cost in nano-dollars)."""
        n = sums
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
#
# Each question a face asks is one function that opens its own read-only unit of work; the
# ``*_in`` forms answer inside one already open, so a page of answers reads one snapshot.


def totals(unit_of_work: UnitOfWorkFactory, window: Window, filters: UsageFilter) -> Totals:
    with unit_of_work(read_only=True) as uow:
        return totals_in(UsageQueries(uow.connection), window, filters)


def totals_in(queries: UsageQueries, window: Window, filters: UsageFilter) -> Totals:
    return Totals.of(queries.totals(window, filters))


def top_models(
    unit_of_work: UnitOfWorkFactory,
    window: Window,
    filters: UsageFilter,
    by: TopBy = "requests",
    limit: int = 10,
) -> list[Group]:
    """The most used models by requests, tokens or cost; ties by model id."""
    check_top_by(by)
    with unit_of_work(read_only=True) as uow:
        return top_models_in(UsageQueries(uow.connection), window, filters, by, limit)


def check_top_by(by: str) -> None:
    if by not in TOP_BY:
        raise InvalidInput([FieldError("by", f"must be one of {', '.join(TOP_BY)}")])


def top_models_in(
    queries: UsageQueries, window: Window, filters: UsageFilter, by: TopBy, limit: int
) -> list[Group]:
    rows = queries.top_models(window, filters, by, limit)
    return [Group(model, Totals.of(sums), provider=provider) for model, provider, sums in rows]


def daily(unit_of_work: UnitOfWorkFactory, window: Window, filters: UsageFilter) -> list[Group]:
    """One row per day of the window, days without usage included (as zeros)."""
    with unit_of_work(read_only=True) as uow:
        return daily_in(UsageQueries(uow.connection), window, filters)


def daily_in(queries: UsageQueries, window: Window, filters: UsageFilter) -> list[Group]:
    return every_day(window, queries.by_day(window, filters))


def every_day(window: Window, found: dict[date, Sums]) -> list[Group]:
    """One group per day of ``window`` in order, zeros for the days ``found`` lacks."""
    return [
        Group(d.isoformat(), Totals.of(found[d]) if d in found else Totals())
        for d in window.each_day()
    ]


def breakdown(
    unit_of_work: UnitOfWorkFactory, window: Window, filters: UsageFilter, by: BreakdownBy
) -> list[Group]:
    """Usage per feature or per provider, most requests first."""
    check_breakdown_by(by)
    with unit_of_work(read_only=True) as uow:
        return breakdown_in(UsageQueries(uow.connection), window, filters, by)


def check_breakdown_by(by: str) -> None:
    if by not in BREAKDOWN_BY:
        raise InvalidInput([FieldError("by", f"must be one of {', '.join(BREAKDOWN_BY)}")])


def breakdown_in(
    queries: UsageQueries, window: Window, filters: UsageFilter, by: BreakdownBy
) -> list[Group]:
    return [Group(key, Totals.of(sums)) for key, sums in queries.breakdown(window, filters, by)]


def latency(
    unit_of_work: UnitOfWorkFactory, window: Window, filters: UsageFilter
) -> list[ModelLatency]:
    """Error rate, mean and percentile latencies per model, most requests first.
    Percentiles are bucket upper bounds (see ``domain.usage.percentile_ms``)."""
    with unit_of_work(read_only=True) as uow:
        return latency_in(UsageQueries(uow.connection), window, filters)


def latency_in(queries: UsageQueries, window: Window, filters: UsageFilter) -> list[ModelLatency]:
    return model_latencies(queries.latency(window, filters))


LINE_PERCENTILES: tuple[int, ...] = (50, 95, 99)
"""The percentiles the latency-over-time lines draw."""


@dataclass(frozen=True)
class DayLatency:
    """One day's latency percentiles over every matching model (bucket upper bounds)."""

    day: date
    percentiles: dict[int, int | None]


def latency_by_day_in(
    queries: UsageQueries, window: Window, filters: UsageFilter
) -> list[DayLatency]:
    """p50, p95 and p99 per day with usage, oldest first."""
    days = queries.latency_by_day(window, filters)
    return [
        DayLatency(day, {p: percentile_ms(days[day], p) for p in LINE_PERCENTILES})
        for day in sorted(days)
    ]


def model_latencies(rows: Sequence[LatencyRow]) -> list[ModelLatency]:
    """Each model's mean and percentiles from its sums and histogram, most requests first,
    ties by model id."""
    out = [
        ModelLatency(
            r.model_id,
            r.requests,
            r.errors,
            r.latency_ms_sum / r.requests if r.requests else None,
            {p: percentile_ms(r.histogram, p) for p in PERCENTILES},
        )
        for r in rows
    ]
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
    unit_of_work: UnitOfWorkFactory, reader: CatalogReader, window: Window, filters: UsageFilter
) -> RouterStats:
    """Decisions by category and complexity, the tier mix against the configured tier
    weights, and the exploration, sticky and fallback counts. ``filters.model`` and
    ``filters.provider`` select by the chosen model; decisions carry no feature, so
    ``filters.feature`` does not apply to them."""
    with unit_of_work(read_only=True) as uow:
        return router_stats_in(DecisionQueries(uow.connection), reader, window, filters)


def router_stats_in(
    decisions: DecisionQueries, reader: CatalogReader, window: Window, filters: UsageFilter
) -> RouterStats:
    """``router_stats`` from the rollups for the days the job has rolled up and from the
    raw decision log for the rest (usually just today)."""
    models = chosen_model_ids(reader, filters)
    stats = RouterStats()
    for row in decisions.rolled_counts(window.since, window.until, models):
        stats.add(row)
    rolled = set(decisions.rolled_days(window.since, window.until))
    for start, end in gaps(window, rolled):
        for row in decisions.raw_counts(start, end, models, by_model=False):
            stats.add(row)
    stats.tier_mix = tier_mix(stats, reader.router_config().tier_weights)
    return stats


def chosen_model_ids(reader: CatalogReader, filters: UsageFilter) -> list[str] | None:
    """The models whose decisions ``filters`` selects (``None``: every model): the one
    named, or the provider's catalogue models (narrowed to the one named, if any)."""
    if filters.provider is None:
        return None if filters.model is None else [filters.model]
    ids = [m.id for m in reader.models(ModelFilter(provider=filters.provider))]
    return [i for i in ids if filters.model in (None, i)]


def gaps(window: Window, rolled: set[date]) -> list[tuple[datetime, datetime]]:
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


def tier_mix(stats: RouterStats, weights: TierWeightsByComplexity) -> list[TierShare]:
    """Per complexity seen, each tier's share of its decisions beside the configured
    weight: every configured tier (even with no decisions), then any other tier seen
    (``None`` for decisions without a tier)."""
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


# The console's page: every answer from one read ---------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """Everything the analytics page shows for one window and filter."""

    daily: list[Group]
    top_models: list[Group]
    features: list[Group]
    providers: list[Group]
    latency: list[ModelLatency]
    router: RouterStats
    latency_by_day: list[DayLatency] = field(default_factory=list)


def dashboard(
    unit_of_work: UnitOfWorkFactory,
    reader: CatalogReader,
    window: Window,
    filters: UsageFilter,
    top: int = 15,
) -> Dashboard:
    """Daily usage, the ``top`` models by requests, usage by feature and by provider,
    latency per model and the router's numbers, all in one read-only transaction."""
    with unit_of_work(read_only=True) as uow:
        usage = UsageQueries(uow.connection)
        return Dashboard(
            daily=daily_in(usage, window, filters),
            top_models=top_models_in(usage, window, filters, "requests", top),
            features=breakdown_in(usage, window, filters, "feature"),
            providers=breakdown_in(usage, window, filters, "provider"),
            latency=latency_in(usage, window, filters),
            router=router_stats_in(DecisionQueries(uow.connection), reader, window, filters),
            latency_by_day=latency_by_day_in(usage, window, filters),
        )


__all__ = [
    "BREAKDOWN_BY",
    "TOP_BY",
    "BreakdownBy",
    "Dashboard",
    "DayLatency",
    "Group",
    "ModelLatency",
    "RouterStats",
    "TierShare",
    "TopBy",
    "Totals",
    "breakdown",
    "chosen_model_ids",
    "daily",
    "dashboard",
    "every_day",
    "gaps",
    "latency",
    "model_latencies",
    "router_stats",
    "tier_mix",
    "top_models",
    "totals",
]
