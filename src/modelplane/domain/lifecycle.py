"""A model's lifecycle: deprecation and sunset instants, and how HTTP announces them.

``Deprecation: @<unix seconds>`` (RFC 9745) and ``Sunset: <HTTP-date>`` (RFC 8594) for a
model that has the dates; past its sunset a model is never routed to (``past_sunset``).

A list of models is one resource whose members have dates of their own, so a list answer
(``list_headers``) says when the first of its members is deprecated and when the first is
retired (the earliest dates: the soonest a client that uses the list must act), and names
the members concerned with ``Link`` entries to their own resources, which carry their
own headers: ``</v1/models/openai:gpt-4>; rel="deprecation sunset"``, soonest first, at
most ``LIST_LINKS_MAX`` of them. Every member's JSON carries its dates and successor
whatever the cap.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote

from modelplane.domain.models import ModelSpec


def lifecycle_headers(model: ModelSpec) -> dict[str, str]:
    headers: dict[str, str] = {}
    if model.deprecation_date is not None:
        headers["Deprecation"] = f"@{int(model.deprecation_date.timestamp())}"
    if model.sunset_date is not None:
        headers["Sunset"] = format_datetime(model.sunset_date, usegmt=True)
    return headers


LIST_LINKS_MAX = 20
"""At most this many ``Link`` entries on a list answer (a header stays a few KB)."""


def list_headers(models: Iterable[ModelSpec], base: str) -> dict[str, str]:
    """The lifecycle headers of a list answer whose members are ``models``, each linked
    as ``{base}/{id}`` (see the module's docstring); none when no member has a date."""
    dated = [m for m in models if m.deprecation_date is not None or m.sunset_date is not None]
    if not dated:
        return {}
    deprecations = [m.deprecation_date for m in dated if m.deprecation_date is not None]
    sunsets = [m.sunset_date for m in dated if m.sunset_date is not None]
    headers: dict[str, str] = {}
    if deprecations:
        headers["Deprecation"] = f"@{int(min(deprecations).timestamp())}"
    if sunsets:
        headers["Sunset"] = format_datetime(min(sunsets), usegmt=True)
    soonest = sorted(dated, key=lambda m: (_first_date(m), m.id))[:LIST_LINKS_MAX]
    headers["Link"] = ", ".join(_link(m, base) for m in soonest)
    return headers


def _first_date(model: ModelSpec) -> float:
    dates = (model.deprecation_date, model.sunset_date)
    return min(d.timestamp() for d in dates if d is not None)


def _link(model: ModelSpec, base: str) -> str:
    rels = []
    if model.deprecation_date is not None:
        rels.append("deprecation")
    if model.sunset_date is not None:
        rels.append("sunset")
    return f'<{base}/{quote(model.id, safe=":/._-")}>; rel="{" ".join(rels)}"'


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
