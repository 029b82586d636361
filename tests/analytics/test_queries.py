"""Every analytics query against answers worked out by hand from the fixed dataset."""

from __future__ import annotations

from decimal import Decimal

import pytest

from modelplane.bootstrap import Runtime
from modelplane.domain.usage import UsageFilter, Window
from modelplane.services import analytics as svc
from modelplane.services.usage import UnitOfWorkFactory, rollup_routing
from tests.analytics.conftest import D1, D2, D3, NOW

ALL = Window(D1, D3)
ANY = UsageFilter()


def _ask(runtime: Runtime, work):  # type: ignore[no-untyped-def]
    return work(runtime.unit_of_work)


def test_totals_over_the_window(dataset: Runtime) -> None:
    totals = _ask(dataset, lambda c: svc.totals(c, ALL, ANY))
    assert (totals.requests, totals.errors, totals.tokens) == (6, 1, 8340)
    assert totals.cost == Decimal("0.028185")


def test_top_models_by_requests_tokens_and_cost(dataset: Runtime) -> None:
    def top(c: UnitOfWorkFactory, by: svc.TopBy) -> list[tuple[str, int, int, Decimal]]:
        rows = svc.top_models(c, ALL, ANY, by)
        return [(r.key, r.totals.requests, r.totals.tokens, r.totals.cost) for r in rows]

    gpt5 = ("openai:gpt-5", 3, 5520, Decimal("0.022875"))
    haiku = ("anthropic:claude-haiku-4.5", 2, 720, Decimal("0.0016"))
    flash = ("google:gemini-2.5-flash", 1, 2100, Decimal("0.00371"))
    assert _ask(dataset, lambda c: top(c, "requests")) == [gpt5, haiku, flash]
    assert _ask(dataset, lambda c: top(c, "tokens")) == [gpt5, flash, haiku]
    assert _ask(dataset, lambda c: top(c, "cost")) == [gpt5, flash, haiku]
    limited = _ask(dataset, lambda c: svc.top_models(c, ALL, ANY, "cost", limit=1))
    assert [r.provider for r in limited] == ["openai"]


def test_daily_trend_includes_empty_days(dataset: Runtime) -> None:
    window = Window(D1, D3.replace(day=4))
    rows = _ask(dataset, lambda c: svc.daily(c, window, ANY))
    assert [(r.key, r.totals.requests, r.totals.tokens, r.totals.cost) for r in rows] == [
        ("2026-03-01", 3, 5620, Decimal("0.02295")),
        ("2026-03-02", 2, 2700, Decimal("0.00511")),
        ("2026-03-03", 1, 20, Decimal("0.000125")),
        ("2026-03-04", 0, 0, Decimal(0)),
    ]


def test_breakdown_by_feature_and_provider(dataset: Runtime) -> None:
    def rows(by: svc.BreakdownBy) -> list[tuple[str, int, int, Decimal]]:
        found = _ask(dataset, lambda c: svc.breakdown(c, ALL, ANY, by))
        return [(r.key, r.totals.requests, r.totals.errors, r.totals.cost) for r in found]

    assert rows("feature") == [
        ("chat", 4, 0, Decimal("0.024275")),
        ("auto_router", 1, 0, Decimal("0.00371")),
        ("title", 1, 1, Decimal("0.0002")),
    ]
    assert rows("provider") == [
        ("openai", 3, 0, Decimal("0.022875")),
        ("anthropic", 2, 1, Decimal("0.0016")),
        ("google", 1, 0, Decimal("0.00371")),
    ]


def test_error_rate_and_latency_percentiles_per_model(dataset: Runtime) -> None:
    rows = _ask(dataset, lambda c: svc.latency(c, ALL, ANY))
    # gpt-5: 100, 200, 1000 ms -> buckets up to 100, 200, 1000. Nearest rank of p50 is
    # the 2nd value; of p90-p99 the 3rd. haiku: 300 (bucket to 316) and 400 (to 501).
    assert [(r.model_id, r.requests, r.error_rate, r.percentiles) for r in rows] == [
        ("openai:gpt-5", 3, 0.0, {50: 200, 90: 1000, 95: 1000, 99: 1000}),
        ("anthropic:claude-haiku-4.5", 2, 0.5, {50: 316, 90: 501, 95: 501, 99: 501}),
        ("google:gemini-2.5-flash", 1, 0.0, {50: 50, 90: 50, 95: 50, 99: 50}),
    ]
    assert rows[0].mean_ms == pytest.approx(1300 / 3)


def test_filters_narrow_every_usage_query(dataset: Runtime) -> None:
    by_model = _ask(dataset, lambda c: svc.totals(c, ALL, UsageFilter(model="openai:gpt-5")))
    assert (by_model.requests, by_model.cost) == (3, Decimal("0.022875"))
    chat = _ask(dataset, lambda c: svc.totals(c, ALL, UsageFilter(feature="chat")))
    assert (chat.requests, chat.tokens) == (4, 1500 + 4000 + 600 + 20)
    anthropic = _ask(
        dataset, lambda c: svc.breakdown(c, ALL, UsageFilter(provider="anthropic"), "feature")
    )
    assert [(r.key, r.totals.requests) for r in anthropic] == [("chat", 1), ("title", 1)]
    one_day = _ask(dataset, lambda c: svc.totals(c, Window(D2, D2), ANY))
    assert (one_day.requests, one_day.cost) == (2, Decimal("0.00511"))


def _router_answer(stats: svc.RouterStats) -> dict[str, object]:
    return {
        "decisions": stats.decisions,
        "rates": (stats.exploration_rate, stats.sticky_rate),
        "counts": (stats.exploration, stats.sticky, stats.fallback, stats.errors),
        "categories": stats.by_category,
        "complexities": stats.by_complexity,
        "tiers": [
            (s.complexity, s.tier, s.decisions, s.share, s.configured) for s in stats.tier_mix
        ],
    }


EXPECTED_ROUTER = {
    "decisions": 6,
    "rates": (2 / 6, 1 / 6),
    "counts": (2, 1, 1, 1),
    "categories": {"coding": 4, "creative": 2},
    "complexities": {"simple": 3, "moderate": 2, "complex": 1},
    # Configured weights from router-defaults.json.
    "tiers": [
        ("simple", "cheap", 2, 2 / 3, 0.6),
        ("simple", "mid", 1, 1 / 3, 0.25),
        ("simple", "premium", 0, 0.0, 0.15),
        ("moderate", "cheap", 0, 0.0, 0.5),
        ("moderate", "mid", 1, 0.5, 0.3),
        ("moderate", "premium", 0, 0.0, 0.2),
        ("moderate", None, 1, 0.5, None),
        ("complex", "cheap", 0, 0.0, 0.3),
        ("complex", "mid", 0, 0.0, 0.4),
        ("complex", "premium", 1, 1.0, 0.3),
    ],
}


def test_router_stats_are_the_same_from_raw_decisions_and_from_rollups(
    dataset: Runtime,
) -> None:
    reader = dataset.reader
    raw = _ask(dataset, lambda c: svc.router_stats(c, reader, ALL, ANY))
    assert _router_answer(raw) == EXPECTED_ROUTER

    assert rollup_routing(dataset.unit_of_work, now=NOW) == [D1, D2]  # D3 not closed at NOW
    assert rollup_routing(dataset.unit_of_work, now=NOW) == []  # idempotent
    mixed = _ask(dataset, lambda c: svc.router_stats(c, reader, ALL, ANY))
    assert _router_answer(mixed) == EXPECTED_ROUTER


def test_router_stats_filter_by_chosen_model_and_provider(dataset: Runtime) -> None:
    reader = dataset.reader
    rollup_routing(dataset.unit_of_work, now=NOW)
    anthropic = _ask(
        dataset, lambda c: svc.router_stats(c, reader, ALL, UsageFilter(provider="anthropic"))
    )
    assert (anthropic.decisions, anthropic.exploration, anthropic.by_category) == (
        2,
        1,
        {"creative": 1, "coding": 1},
    )
    mini = _ask(
        dataset,
        lambda c: svc.router_stats(c, reader, ALL, UsageFilter(model="openai:gpt-5-mini")),
    )
    assert (mini.decisions, mini.sticky, mini.fallback) == (3, 1, 1)


def test_the_console_dashboard_is_every_answer_from_one_read(dataset: Runtime) -> None:
    reader = dataset.reader
    found = svc.dashboard(dataset.unit_of_work, reader, ALL, ANY, top=2)
    assert found.daily == svc.daily(dataset.unit_of_work, ALL, ANY)
    assert found.top_models == svc.top_models(dataset.unit_of_work, ALL, ANY, "requests", 2)
    assert found.features == svc.breakdown(dataset.unit_of_work, ALL, ANY, "feature")
    assert found.providers == svc.breakdown(dataset.unit_of_work, ALL, ANY, "provider")
    assert found.latency == svc.latency(dataset.unit_of_work, ALL, ANY)
    assert _router_answer(found.router) == EXPECTED_ROUTER
