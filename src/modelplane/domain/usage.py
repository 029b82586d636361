"""Usage analytics in the domain: a usage event, the window a question covers, the money
unit of the rollups and the fixed latency histogram behind the percentiles."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import AwareDatetime, Field, model_validator

from modelplane.domain.base import DomainModel, Line
from modelplane.domain.errors import FieldError, InvalidInput

Feature = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]
TokenCount = Annotated[int, Field(ge=0, le=1_000_000_000)]

MAX_BATCH = 10_000
"""The most events one request may carry."""


EventId = Annotated[Line, Field(max_length=100)]
"""A client's id for one event, e.g. a UUID: the same id sent again is stored once."""

DecisionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
"""A route answer's ``decisionId`` (the server's are 32 hex digits)."""


class UsageEvent(DomainModel):
    """One generation as an app reports it. ``input_tokens`` counts uncached input only,
    as in ``catalog.pricing.cost``; ``at`` defaults to the moment of ingestion.

    ``event_id`` makes a resend safe: a client that retries after a timeout cannot know
    whether the server committed, so the server skips an event whose id it already holds.
    Events without an id are stored every time they arrive."""

    event_id: EventId | None = None
    model_id: Line
    feature: Feature
    user_id: Line | None = None
    input_tokens: TokenCount = 0
    output_tokens: TokenCount = 0
    cached_tokens: TokenCount = 0
    reasoning_tokens: TokenCount = 0
    latency_ms: int = Field(ge=0, le=86_400_000)
    success: bool = True
    error: Annotated[str, Field(max_length=2000)] | None = None
    routing_decision_id: int | None = Field(default=None, ge=1)
    decision_id: DecisionId | None = None
    """The route answer's ``decisionId``: joins this generation to that decision's
    experiment arm, flag enrolment and config version."""
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _error_only_on_failure(self) -> UsageEvent:
        if self.success and self.error:
            raise ValueError("an error message needs success: false")
        return self


# Money ----------------------------------------------------------------------------------------

NANO = Decimal("1e-9")


def to_nano(usd: Decimal) -> int:
    """Whole nano-dollars, rounded half-even: ``to_nano(Decimal("0.0075")) -> 7500000``.

    Why: rollups sum costs in SQL, and SQLite can only sum exactly in integers. Each event's
    cost is rounded once, to 1e-9 USD, at ingestion; every sum after that is exact."""
    return int(usd.quantize(NANO, rounding=ROUND_HALF_EVEN).scaleb(9))


def from_nano(nano: int) -> Decimal:
    """``from_nano(7500000) -> Decimal("0.0075")``."""
    return (Decimal(nano).scaleb(-9)).normalize() + 0


# Windows --------------------------------------------------------------------------------------

MAX_WINDOW_DAYS = 3660


@dataclass(frozen=True)
class Window:
    """Whole UTC days, both ends included. Analytics answers at the grain of its rollups,
    a day, so every question over a window is answered from the same rows."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def each_day(self) -> list[date]:
        return [self.since + timedelta(days=n) for n in range(self.days)]

    def to_json(self) -> dict[str, object]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}

    @classmethod
    def resolve(
        cls, today: date, since: date | None, until: date | None, days: int | None
    ) -> Window:
        """``days`` (default 30) ends at ``until`` (default today) unless ``since`` is given.

        >>> Window.resolve(date(2026, 3, 10), None, None, 7)
        Window(since=datetime.date(2026, 3, 4), until=datetime.date(2026, 3, 10))
        """
        errors = []
        if days is not None and not 1 <= days <= MAX_WINDOW_DAYS:
            errors.append(FieldError("days", f"must be between 1 and {MAX_WINDOW_DAYS}"))
        if days is not None and since is not None and until is not None:
            errors.append(FieldError("days", "give days, or since and until, not all three"))
        if errors:
            raise InvalidInput(errors)
        span = days or 30
        if since is None:
            end = until or today
            return cls._checked(end - timedelta(days=span - 1), end)
        end = until or (since + timedelta(days=span - 1) if days else today)
        return cls._checked(since, end)

    @classmethod
    def _checked(cls, since: date, until: date) -> Window:
        if since > until:
            raise InvalidInput([FieldError("since", "must not be after until")])
        if (until - since).days + 1 > MAX_WINDOW_DAYS:
            raise InvalidInput([FieldError("since", f"at most {MAX_WINDOW_DAYS} days")])
        return cls(since, until)


@dataclass(frozen=True)
class UsageFilter:
    """Optional filters; ``None`` means any."""

    model: str | None = None
    provider: str | None = None
    feature: str | None = None

    def to_json(self) -> dict[str, str]:
        pairs = (("model", self.model), ("provider", self.provider), ("feature", self.feature))
        return {k: v for k, v in pairs if v is not None}


# Latency histogram ----------------------------------------------------------------------------


def _bounds() -> tuple[int, ...]:
    # Ten buckets per decade, 1 ms to 10^6 ms (about 17 minutes): each bound about 26%
    # above the one before.
    return tuple(sorted({round(10 ** (k / 10)) for k in range(61)}))


LATENCY_BOUNDS_MS: tuple[int, ...] = _bounds()
"""Upper bounds (ms, inclusive) of the latency buckets; one overflow bucket follows. Each
bucket is a column of ``usage_daily``: changing the bounds needs a migration."""


def latency_bucket(latency_ms: int) -> int:
    """The bucket index: ``latency_bucket(100) -> 17``; above the last bound, the overflow."""
    return bisect_left(LATENCY_BOUNDS_MS, latency_ms)


LATENCY_BUCKETS = len(LATENCY_BOUNDS_MS) + 1
"""Bucket count, the overflow bucket included."""


def bucket_column(bucket: int) -> str:
    """The rollup column holding a bucket's count: ``bucket_column(7) -> "lat_07"``."""
    return f"lat_{bucket:02d}"


def bucket_upper_ms(bucket: int) -> int:
    """The bucket's upper bound; the overflow bucket reports the last bound."""
    return LATENCY_BOUNDS_MS[min(bucket, len(LATENCY_BOUNDS_MS) - 1)]


def percentile_ms(counts: dict[int, int], p: float) -> int | None:
    """The nearest-rank ``p``-th percentile from bucket counts, as the upper bound of the
    bucket it falls in: never below the true value, at most about 26% above it.

    >>> percentile_ms({latency_bucket(100): 3, latency_bucket(400): 1}, 50)
    100
    """
    total = sum(counts.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(p / 100 * total))
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        if seen >= rank:
            return bucket_upper_ms(bucket)
    raise AssertionError("unreachable: the ranks add up to the total")


PERCENTILES: Sequence[int] = (50, 90, 95, 99)
