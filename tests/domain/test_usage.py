"""Usage in the domain (``domain/usage.py``): the event, nano-dollars, windows and the
latency histogram. (``Window.resolve`` is covered with the analytics slice.)"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from modelplane.domain.usage import (
    LATENCY_BOUNDS_MS,
    LATENCY_BUCKETS,
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


def test_a_filter_lists_only_what_is_set() -> None:
    assert UsageFilter(provider="openai").to_json() == {"provider": "openai"}
    assert UsageFilter().to_json() == {}


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
