"""The arithmetic behind the analytics answers and the rollups, without a database: what a
batch adds to the daily rollups, which days the routing job rolls up, how rolled-up and raw
days are split, and how sums become totals, percentiles and the tier mix."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from modelplane.domain.errors import InvalidInput
from modelplane.domain.reader import CatalogReader
from modelplane.domain.usage import (
    LATENCY_BUCKETS,
    UsageFilter,
    Window,
    latency_bucket,
    to_nano,
)
from modelplane.live.snapshot import static_snapshot
from modelplane.live.source import SnapshotSource
from modelplane.services import analytics as svc
from modelplane.services.usage import daily_sums, days_to_roll_up, last_closed_day
from modelplane.store.analytics_queries import LatencyRow
from modelplane.store.usage_repository import DAILY_MEASURES

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def _row(at: datetime, **overrides: Any) -> dict[str, Any]:
    return {
        "at": at,
        "model_id": "openai:gpt-5",
        "provider_id": "openai",
        "feature": "chat",
        "input_tokens": 1000,
        "output_tokens": 500,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost": Decimal("0.0075"),
        "latency_ms": 100,
        "success": True,
        **overrides,
    }


# What a batch adds to usage_daily -------------------------------------------------------------


def test_a_batch_is_summed_per_utc_day_model_provider_and_feature() -> None:
    morning = datetime(2026, 3, 1, 9, tzinfo=UTC)
    rows = [
        _row(morning),
        _row(morning + timedelta(hours=1), success=False, latency_ms=400, cached_tokens=7),
        _row(morning, feature="title", cost=Decimal("0.000000001")),
        _row(morning + timedelta(days=1)),
    ]
    sums = daily_sums(rows)
    assert set(sums) == {
        (D1, "openai:gpt-5", "openai", "chat"),
        (D1, "openai:gpt-5", "openai", "title"),
        (D2, "openai:gpt-5", "openai", "chat"),
    }
    chat = sums[(D1, "openai:gpt-5", "openai", "chat")]
    assert len(chat) == len(DAILY_MEASURES) + LATENCY_BUCKETS
    measures = dict(zip(DAILY_MEASURES, chat, strict=False))
    assert measures == {
        "requests": 2,
        "errors": 1,
        "input_tokens": 2000,
        "output_tokens": 1000,
        "cached_tokens": 7,
        "reasoning_tokens": 0,
        "cost_nano": 2 * to_nano(Decimal("0.0075")),
        "latency_ms_sum": 500,
    }
    histogram = chat[len(DAILY_MEASURES) :]
    assert {b: n for b, n in enumerate(histogram) if n} == {
        latency_bucket(100): 1,
        latency_bucket(400): 1,
    }
    assert sums[(D1, "openai:gpt-5", "openai", "title")][DAILY_MEASURES.index("cost_nano")] == 1


def test_an_empty_batch_adds_nothing() -> None:
    assert daily_sums([]) == {}


# Which days the routing job rolls up ----------------------------------------------------------


def test_a_day_is_closed_five_minutes_after_it_ends() -> None:
    assert last_closed_day(datetime(2026, 3, 4, 0, 4, tzinfo=UTC)) == D2
    assert last_closed_day(datetime(2026, 3, 4, 0, 5, tzinfo=UTC)) == D3


def test_every_closed_day_from_the_first_decision_not_yet_done_is_rolled_up() -> None:
    assert days_to_roll_up(D1, D3, set()) == [D1, D2, D3]
    assert days_to_roll_up(D1, D3, {D2}) == [D1, D3]
    assert days_to_roll_up(D1, D3, {D1, D2, D3}) == []
    assert days_to_roll_up(D3, D2, set()) == []  # the first decision's day has not closed


# Rolled-up days from the rollups, the others from the raw log ---------------------------------


def test_days_not_rolled_up_are_read_as_runs_of_whole_utc_days() -> None:
    window = Window(D1, date(2026, 3, 5))
    start = datetime(2026, 3, 1, tzinfo=UTC)
    day = timedelta(days=1)
    assert svc.gaps(window, set()) == [(start, start + 5 * day)]
    assert svc.gaps(window, {D2, date(2026, 3, 4)}) == [
        (start, start + day),
        (start + 2 * day, start + 3 * day),
        (start + 4 * day, start + 5 * day),
    ]
    assert svc.gaps(window, set(window.each_day())) == []


def test_the_chosen_models_of_a_filter_come_from_the_catalogue() -> None:
    reader = CatalogReader(*[SnapshotSource.fixed(static_snapshot())] * 2)
    assert svc.chosen_model_ids(reader, UsageFilter()) is None
    assert svc.chosen_model_ids(reader, UsageFilter(model="x:y")) == ["x:y"]
    anthropic = svc.chosen_model_ids(reader, UsageFilter(provider="anthropic"))
    assert anthropic and all(m.startswith("anthropic:") for m in anthropic)
    assert "anthropic:claude-haiku-4.5" in anthropic
    one = UsageFilter(provider="anthropic", model="anthropic:claude-haiku-4.5")
    assert svc.chosen_model_ids(reader, one) == ["anthropic:claude-haiku-4.5"]
    assert (
        svc.chosen_model_ids(reader, UsageFilter(provider="anthropic", model="openai:gpt-5")) == []
    )


# From sums to answers -------------------------------------------------------------------------


def test_totals_turn_nano_dollars_back_into_exact_usd() -> None:
    totals = svc.Totals.of((4, 1, 100, 50, 10, 5, 7_500_001, 800))
    assert (totals.requests, totals.tokens, totals.cost) == (4, 165, Decimal("0.007500001"))
    assert (totals.error_rate, totals.mean_latency_ms) == (0.25, 200)
    assert svc.Totals().error_rate is None and svc.Totals().mean_latency_ms is None
    assert totals.to_json()["costUsd"] == "0.007500001"


def test_the_daily_trend_has_every_day_of_the_window_in_order() -> None:
    found = {D2: (2, 0, 10, 0, 0, 0, 1000, 30)}
    groups = svc.every_day(Window(D1, D3), found)
    assert [(g.key, g.totals.requests, g.totals.cost) for g in groups] == [
        ("2026-03-01", 0, Decimal(0)),
        ("2026-03-02", 2, Decimal("0.000001")),
        ("2026-03-03", 0, Decimal(0)),
    ]


def test_latency_per_model_most_requests_first_with_bucket_percentiles() -> None:
    rows = [
        LatencyRow("b:small", 1, 0, 50, {latency_bucket(50): 1}),
        LatencyRow("a:big", 4, 1, 1000, {latency_bucket(100): 3, latency_bucket(700): 1}),
        LatencyRow("a:also-small", 1, 1, 9, {latency_bucket(9): 1}),
    ]
    out = svc.model_latencies(rows)
    assert [m.model_id for m in out] == ["a:big", "a:also-small", "b:small"]
    big = out[0]
    assert (big.mean_ms, big.error_rate) == (250, 0.25)
    assert big.percentiles == {50: 100, 90: 794, 95: 794, 99: 794}


def test_unknown_orderings_are_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as caught:
        svc.check_top_by("latency")
    assert caught.value.errors[0].path == "by"
    with pytest.raises(InvalidInput):
        svc.check_breakdown_by("model")
    svc.check_top_by("cost")
    svc.check_breakdown_by("provider")


def test_router_rows_add_up_and_the_tier_mix_sits_beside_the_configured_weights() -> None:
    stats = svc.RouterStats()
    stats.add(("coding", "simple", "cheap", 3, 1, 1, 0, 0))
    stats.add(("coding", "simple", "mid", 1, 0, 0, 0, 0))
    stats.add(("creative", "simple", "cheap", 1, 1, 0, 0, 0))
    stats.add(("coding", "complex", "", 2, 0, 0, 2, 2))
    assert (stats.decisions, stats.exploration, stats.fallback, stats.errors) == (7, 2, 2, 2)
    assert stats.by_category == {"coding": 6, "creative": 1}
    assert stats.by_category_complexity == {
        ("coding", "simple"): 4,
        ("creative", "simple"): 1,
        ("coding", "complex"): 2,
    }
    weights = (
        CatalogReader(*[SnapshotSource.fixed(static_snapshot())] * 2).router_config().tier_weights
    )
    mix = svc.tier_mix(stats, weights)
    simple = weights.of("simple")
    complex_ = weights.of("complex")
    assert [(s.complexity, s.tier, s.decisions, s.share, s.configured) for s in mix] == [
        ("simple", "cheap", 4, 0.8, simple.cheap),
        ("simple", "mid", 1, 0.2, simple.mid),
        ("simple", "premium", 0, 0.0, simple.premium),
        ("complex", "cheap", 0, 0.0, complex_.cheap),
        ("complex", "mid", 0, 0.0, complex_.mid),
        ("complex", "premium", 0, 0.0, complex_.premium),
        ("complex", None, 2, 1.0, None),
    ]
