"""Cost of a request (``domain/pricing.py``): exact Decimal arithmetic per million tokens."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modelplane.domain.models import Pricing
from modelplane.domain.pricing import cost


def pricing(**kw: str) -> Pricing:
    return Pricing.model_validate({k: Decimal(v) for k, v in kw.items()})


def test_cost_is_input_plus_output_per_million_tokens() -> None:
    assert cost(pricing(input="2.5", output="10"), 1_000, 500) == Decimal("0.0075")


def test_cached_input_uses_cached_price_when_set() -> None:
    p = pricing(input="2.5", output="10", cached="0.25")
    assert cost(p, 0, 0, cached_input_tokens=1_000_000) == Decimal("0.25")


def test_cached_input_falls_back_to_input_price() -> None:
    assert cost(pricing(input="3", output="15"), 0, 0, cached_input_tokens=2_000_000) == 6


def test_reasoning_tokens_use_reasoning_price_when_set() -> None:
    p = pricing(input="0.15", output="0.6", reasoning="3.5")
    assert cost(p, 0, 0, reasoning_tokens=1_000_000) == Decimal("3.5")


def test_reasoning_tokens_fall_back_to_output_price() -> None:
    assert cost(pricing(input="1", output="4"), 0, 0, reasoning_tokens=500_000) == 2


def test_cost_is_exact_where_floats_are_not() -> None:
    p = pricing(input="0.1", output="0.2")
    assert cost(p, 1_000_000, 1_000_000) == Decimal("0.3")
    assert 0.1 + 0.2 != 0.3  # the same sum in floats is off


def test_negative_tokens_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="output_tokens must not be negative"):
        cost(pricing(input="1", output="1"), 1, -1)


@pytest.mark.parametrize(
    "name", ["input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens"]
)
def test_each_negative_token_count_is_refused_by_its_name(name: str) -> None:
    counts: dict[str, Any] = {
        "input_tokens": 0,
        "output_tokens": 0,
        "cached_input_tokens": 0,
        "reasoning_tokens": 0,
    }
    counts[name] = -5
    with pytest.raises(ValueError, match=f"^{name} must not be negative, got -5$"):
        cost(pricing(input="1", output="1"), **counts)


def test_all_four_kinds_of_token_add_up() -> None:
    p = pricing(input="2", output="8", cached="0.5", reasoning="16")
    total = cost(p, 1_000_000, 1_000_000, cached_input_tokens=1_000_000, reasoning_tokens=1_000_000)
    assert total == Decimal("26.5")


def test_no_tokens_cost_nothing_and_the_answer_is_a_decimal() -> None:
    total = cost(pricing(input="3", output="15"), 0, 0)
    assert isinstance(total, Decimal)
    assert total == 0


def test_a_free_model_costs_nothing_however_much_it_is_used() -> None:
    assert cost(pricing(input="0", output="0"), 10**9, 10**9) == 0
