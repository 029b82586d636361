"""Prices with dates: each price applies from a moment on, until the next one.

A model's timeline is its dated prices in order. The price at a moment is the last entry
that starts at or before it; before the first entry (and for a model with no entries, which
has only ever had one price) its stored price applies. Look-ups are one bisection.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import UTC, datetime

from modelplane.domain.models import DatedPrice, Model, Pricing

SINCE_EVER = datetime(1970, 1, 1, tzinfo=UTC)
"""Where the price a model had before its first dated change starts."""


Timeline = tuple[DatedPrice, ...]


def entry_at(timeline: Sequence[DatedPrice], at: datetime) -> DatedPrice | None:
    """The entry in force at ``at`` (``None`` before the first, or with none)."""
    index = bisect_right([e.effective_from for e in timeline], at)
    return timeline[index - 1] if index else None


def price_at(timeline: Sequence[DatedPrice], at: datetime, stored: Pricing) -> Pricing:
    """The price in force at ``at``; ``stored`` when no entry has started by then."""
    entry = entry_at(timeline, at)
    return entry.pricing if entry is not None else stored


def next_change(timeline: Sequence[DatedPrice], after: datetime) -> datetime | None:
    """When the next entry after ``after`` starts (``None``: nothing scheduled)."""
    index = bisect_right([e.effective_from for e in timeline], after)
    return timeline[index].effective_from if index < len(timeline) else None


def parse_moment(text: str, field: str = "at") -> datetime:
    """An ISO 8601 time with its zone (``2027-01-01T00:00:00Z``), as UTC; ``ValueError``
    naming ``field`` otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{field}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{field}: {text!r} must name its time zone (e.g. ...T00:00:00Z)")
    return moment.astimezone(UTC)


def price_json(model: Model, at: datetime) -> dict[str, object]:
    """What ``GET /api/v1/models/{id}/price?at=`` answers: the price in force at ``at``
    and the moment it started (``None``: the model's only price)."""
    entry = entry_at(model.price_timeline, at)
    return {
        "id": model.id,
        "at": at.isoformat().replace("+00:00", "Z"),
        "pricing": model.pricing_at(at).to_json(),
        "effectiveFrom": _moment(entry.effective_from) if entry else None,
    }


def timeline_json(model: Model, now: datetime) -> list[dict[str, object]]:
    """The whole timeline, past and scheduled; each entry says whether it is in force."""
    if not model.price_timeline:
        return [
            {
                "effectiveFrom": None,
                "pricing": model.pricing.to_json(),
                "state": "current",
                "recordedBy": None,
                "reason": None,
            }
        ]
    current = entry_at(model.price_timeline, now)
    return [
        {
            "effectiveFrom": _moment(e.effective_from),
            "pricing": e.pricing.to_json(),
            "state": "current"
            if e is current
            else ("past" if e.effective_from <= now else "scheduled"),
            "recordedBy": e.recorded_by,
            "reason": e.reason,
        }
        for e in model.price_timeline
    ]


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


__all__ = [
    "SINCE_EVER",
    "DatedPrice",
    "Timeline",
    "entry_at",
    "next_change",
    "parse_moment",
    "price_at",
    "price_json",
    "timeline_json",
]
