"""A model's lifecycle: deprecation and sunset instants, and how HTTP announces them.

``Deprecation: @<unix seconds>`` (RFC 9745) and ``Sunset: <HTTP-date>`` (RFC 8594) for a
model that has the dates; past its sunset a model is never routed to (``past_sunset``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime

from modelplane.domain.models import ModelSpec


def lifecycle_headers(model: ModelSpec) -> dict[str, str]:
    headers: dict[str, str] = {}
    if model.deprecation_date is not None:
        headers["Deprecation"] = f"@{int(model.deprecation_date.timestamp())}"
    if model.sunset_date is not None:
        headers["Sunset"] = format_datetime(model.sunset_date, usegmt=True)
    return headers


def past_sunset(model: ModelSpec, now: datetime) -> bool:
    return model.sunset_date is not None and model.sunset_date <= now


class SunsetSchedule:
    """The sunset instants of a set of models, sorted, so that "which are past their
    sunset now" is one comparison while none is, and one bisection after."""

    __slots__ = ("_ids", "_instants")

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        dated = sorted((m.sunset_date.timestamp(), m.id) for m in models if m.sunset_date)
        self._instants = tuple(t for t, _ in dated)
        self._ids = tuple(i for _, i in dated)

    @property
    def next_instant(self) -> float | None:
        return self._instants[0] if self._instants else None

    def past(self, now: datetime) -> tuple[str, ...]:
        """The ids of the models whose sunset is at or before ``now``."""
        if not self._instants or now.timestamp() < self._instants[0]:
            return ()
        return self._ids[: bisect_right(self._instants, now.timestamp())]
