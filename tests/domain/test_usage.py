"""Usage in the domain (``domain/usage.py``): the event, nano-dollars, windows (how
``days``, ``since`` and ``until`` resolve, and what is refused), filters and the latency
histogram. No database: all of it is domain arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from modelplane.domain.errors import InvalidInput
from modelplane.domain.usage import (
    LATENCY_BOUNDS_MS,
    LATENCY_BUCKETS,
    MAX_WINDOW_DAYS,
    UsageEvent,
    UsageFilter,
    Window,
    bucket_column,
    bucket_upper_ms,
    from_nano,
    latency_bucket,
    percentile_ms,
    to_nano,
)

from .support import paths, problems


def event(**overrides: Any) -> dict[str, Any]:
    return {"modelId": "openai:gpt-5", "feature": "chat", "latencyMs": 120, **overrides}


def test_an_error_message_needs_a_failed_event() -> None:
    [error] = problems(UsageEvent, event(error="timeout"))
    assert "an error message needs success: false" in error.message
    assert UsageEvent.model_validate(event(success=False, error="timeout")).error == "timeout"


def test_token_counts_and_latency_are_bounded_and_named() -> None:
    bad = event(inputTokens=-1, reasoningTokens=1_000_000_001, latencyMs=-5)
    assert paths(UsageEvent, bad) == ["inputTokens", "reasoningTokens", "latencyMs"]


def test_a_timestamp_must_carry_its_timezone() -> None:
    assert paths(UsageEvent, event(at="2026-01-02T03:04:05")) == ["at"]
    assert UsageEvent.model_validate(event(at="2026-01-02T03:04:05Z")).at is not None


def test_a_feature_is_a_slug() -> None:
    assert paths(UsageEvent, event(feature="Chat Window")) == ["feature"]


def test_nano_dollars_round_half_even_once() -> None:
    assert to_nano(Decimal("0.0075")) == 7_500_000
    assert to_nano(Decimal("0.0000000005")) == 0
    assert to_nano(Decimal("0.0000000015")) == 2
    assert to_nano(Decimal("0.00000000151")) == 2


def test_nano_dollars_read_back_as_exact_decimals() -> None:
    assert from_nano(7_500_000) == Decimal("0.0075")
    assert str(from_nano(7_500_000)) == "0.0075"
    assert from_nano(0) == 0
    assert from_nano(to_nano(Decimal("12.345678901"))) == Decimal("12.345678901")


def test_a_window_counts_both_ends() -> None:
    window = Window(date(2026, 2, 27), date(2026, 3, 2))
    assert window.days == 4
    assert window.each_day()[0] == date(2026, 2, 27)
    assert window.each_day()[-1] == date(2026, 3, 2)
    assert window.to_json() == {"since": "2026-02-27", "until": "2026-03-02"}


TODAY = date(2026, 3, 10)


def _resolve(
    since: date | None = None, until: date | None = None, days: int | None = None
) -> tuple[date, date]:
    window = Window.resolve(TODAY, since, until, days)
    return window.since, window.until


def test_nothing_given_is_the_30_days_ending_today() -> None:
    assert _resolve() == (date(2026, 2, 9), TODAY)


def test_days_alone_ends_today_and_counts_today() -> None:
    assert _resolve(days=1) == (TODAY, TODAY)
    assert _resolve(days=7) == (date(2026, 3, 4), TODAY)


def test_days_end_at_until_when_until_is_given() -> None:
    assert _resolve(until=date(2026, 1, 31), days=3) == (date(2026, 1, 29), date(2026, 1, 31))
    assert _resolve(until=date(2026, 1, 31)) == (date(2026, 1, 2), date(2026, 1, 31))


def test_since_alone_runs_to_today() -> None:
    assert _resolve(since=date(2026, 3, 1)) == (date(2026, 3, 1), TODAY)


def test_since_with_days_runs_forward_from_since() -> None:
    assert _resolve(since=date(2026, 2, 27), days=3) == (date(2026, 2, 27), date(2026, 3, 1))


def test_since_and_until_are_both_included() -> None:
    window = Window.resolve(TODAY, date(2026, 3, 1), date(2026, 3, 3), None)
    assert (window.since, window.until, window.days) == (date(2026, 3, 1), date(2026, 3, 3), 3)
    assert window.each_day() == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    assert window.to_json() == {"since": "2026-03-01", "until": "2026-03-03"}


def test_a_future_window_is_allowed() -> None:
    assert _resolve(since=date(2026, 4, 1), until=date(2026, 4, 2)) == (
        date(2026, 4, 1),
        date(2026, 4, 2),
    )


def _refused(since: date | None, until: date | None, days: int | None) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        Window.resolve(TODAY, since, until, days)
    return {e.path: e.message for e in caught.value.errors}


@pytest.mark.parametrize("days", [0, -1, MAX_WINDOW_DAYS + 1])
def test_days_out_of_range_are_refused(days: int) -> None:
    assert _refused(None, None, days) == {"days": f"must be between 1 and {MAX_WINDOW_DAYS}"}


def test_the_longest_window_is_allowed_and_one_day_more_is_not() -> None:
    assert Window.resolve(TODAY, None, None, MAX_WINDOW_DAYS).days == MAX_WINDOW_DAYS
    since = date(2010, 1, 1)
    assert _refused(since, TODAY, None) == {"since": f"at most {MAX_WINDOW_DAYS} days"}


def test_days_with_both_since_and_until_is_refused() -> None:
    assert _refused(date(2026, 3, 1), date(2026, 3, 3), 3) == {
        "days": "give days, or since and until, not all three"
    }


def test_every_problem_with_days_is_named_at_once() -> None:
    assert set(_refused(date(2026, 3, 1), date(2026, 3, 3), 0)) == {"days"}
    with pytest.raises(InvalidInput) as caught:
        Window.resolve(TODAY, date(2026, 3, 1), date(2026, 3, 3), 0)
    assert len(caught.value.errors) == 2


def test_since_after_until_is_refused() -> None:
    assert _refused(date(2026, 3, 5), date(2026, 3, 4), None) == {
        "since": "must not be after until"
    }
    # A since after today with no until ends today, so it is refused too.
    assert _refused(date(2026, 3, 11), None, None) == {"since": "must not be after until"}


def test_a_filter_lists_only_what_it_narrows() -> None:
    assert UsageFilter().to_json() == {}
    assert UsageFilter(provider="openai", feature="chat").to_json() == {
        "provider": "openai",
        "feature": "chat",
    }


def test_latency_bounds_rise_ten_per_decade_from_1ms_to_1000s() -> None:
    assert LATENCY_BOUNDS_MS[0] == 1
    assert LATENCY_BOUNDS_MS[-1] == 1_000_000
    assert list(LATENCY_BOUNDS_MS) == sorted(set(LATENCY_BOUNDS_MS))
    assert len(LATENCY_BOUNDS_MS) + 1 == LATENCY_BUCKETS
    assert all(b / a <= 1.5 for a, b in pairwise(LATENCY_BOUNDS_MS[7:]))


@pytest.mark.parametrize(
    ("latency", "upper"), [(0, 1), (1, 1), (7, 8), (100, 100), (101, 126), (1_000_000, 1_000_000)]
)
def test_a_latency_falls_in_the_bucket_whose_bound_is_the_next_at_or_above(
    latency: int, upper: int
) -> None:
    assert bucket_upper_ms(latency_bucket(latency)) == upper


def test_latencies_above_the_last_bound_go_to_the_overflow_bucket() -> None:
    overflow = latency_bucket(5_000_000)
    assert overflow == LATENCY_BUCKETS - 1
    assert bucket_upper_ms(overflow) == LATENCY_BOUNDS_MS[-1]


def test_bucket_columns_are_zero_padded() -> None:
    assert bucket_column(7) == "lat_07"
    assert bucket_column(58) == "lat_58"


def test_percentiles_are_nearest_rank_upper_bounds() -> None:
    counts = {latency_bucket(100): 90, latency_bucket(1000): 9, latency_bucket(10_000): 1}
    assert percentile_ms(counts, 50) == 100
    assert percentile_ms(counts, 90) == 100
    assert percentile_ms(counts, 95) == 1000
    assert percentile_ms(counts, 99) == 1000
    assert percentile_ms(counts, 100) == 10_000
    assert percentile_ms(counts, 0) == 100


def test_no_latencies_have_no_percentile() -> None:
    assert percentile_ms({}, 50) is None
    assert percentile_ms({3: 0}, 50) is None
