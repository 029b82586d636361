"""The analytics window: how ``days``, ``since`` and ``until`` resolve, and what is refused.
No database: the window is domain arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from modelplane.domain.errors import InvalidInput
from modelplane.domain.usage import MAX_WINDOW_DAYS, UsageFilter, Window

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
