from decimal import Decimal

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


def test_average_price_is_mean_of_input_and_output() -> None:
    assert pricing(input="1.75", output="14").average == Decimal("7.875")
