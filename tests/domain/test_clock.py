"""The clock (``domain/clock.py``): every timestamp is timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelplane.domain.clock import utcnow


def test_now_is_aware_utc_and_moves_forward() -> None:
    before = datetime.now(UTC)
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
