"""The price timeline in the domain: the entry in force at a moment, the next change, and
``cost(..., at=)``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from modelplane.domain.models import DatedPrice, Model, Pricing
from modelplane.domain.prices import (
    SINCE_EVER,
    entry_at,
    next_change,
    parse_moment,
    price_at,
    timeline_json,
)
from modelplane.domain.pricing import cost

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def p(inp: str, out: str) -> Pricing:
    return Pricing(input=Decimal(inp), output=Decimal(out))


TIMELINE = (
    DatedPrice(effective_from=SINCE_EVER, pricing=p("1", "2")),
    DatedPrice(effective_from=T0, pricing=p("3", "6")),
    DatedPrice(effective_from=T0 + timedelta(days=30), pricing=p("5", "10")),
)


def model(timeline: tuple[DatedPrice, ...] = TIMELINE) -> Model:
    return Model.model_validate(
        {
            "id": "acme:m",
            "provider": "acme",
            "name": "M",
            "context_window": 1000,
            "pricing": p("3", "6"),
            "price_timeline": timeline,
        }
    )


def test_each_moment_gets_the_entry_that_started_last() -> None:
    assert price_at(TIMELINE, T0 - timedelta(seconds=1), p("9", "9")) == p("1", "2")
    assert price_at(TIMELINE, T0, p("9", "9")) == p("3", "6")  # from its first instant
    assert price_at(TIMELINE, T0 + timedelta(days=31), p("9", "9")) == p("5", "10")
    assert price_at((), T0, p("9", "9")) == p("9", "9")  # no entries: the one price
    assert entry_at(TIMELINE, SINCE_EVER - timedelta(days=1)) is None


def test_the_next_change_is_the_first_entry_after_now() -> None:
    assert next_change(TIMELINE, T0 - timedelta(days=1)) == T0
    assert next_change(TIMELINE, T0) == T0 + timedelta(days=30)
    assert next_change(TIMELINE, T0 + timedelta(days=30)) is None


def test_cost_of_a_model_is_at_the_price_in_force_then() -> None:
    m = model()
    before = cost(m, 1_000_000, 1_000_000, at=T0 - timedelta(days=1))
    after = cost(m, 1_000_000, 1_000_000, at=T0 + timedelta(days=40))
    assert (before, after) == (Decimal(3), Decimal(15))
    assert cost(m, 1_000_000, 0) == Decimal(3)  # without at: the price it was read with


def test_the_timeline_says_which_entry_is_in_force() -> None:
    states = [e["state"] for e in timeline_json(model(), T0 + timedelta(days=1))]
    assert states == ["past", "current", "scheduled"]
    only = timeline_json(model(()), T0)
    assert [(e["effectiveFrom"], e["state"]) for e in only] == [(None, "current")]


def test_a_moment_must_name_its_zone() -> None:
    assert parse_moment("2027-01-01T00:00:00Z") == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="time zone"):
        parse_moment("2027-01-01T00:00:00", "effectiveFrom")
    with pytest.raises(ValueError, match=r"^effectiveFrom: 'soon' is not an ISO 8601 time$"):
        parse_moment("soon", "effectiveFrom")
