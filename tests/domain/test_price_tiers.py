from decimal import Decimal

import pytest
from pydantic import ValidationError

from modelplane.domain.models import Pricing
from modelplane.domain.pricing import cost


def _tiered() -> Pricing:
    return Pricing.model_validate(
        {
            "input": "3",
            "output": "15",
            "cached": "0.3",
            "tiers": [{"aboveInputTokens": 200_000, "input": "6", "output": "22.5"}],
        }
    )


def test_below_the_threshold_the_base_prices_apply() -> None:
    assert cost(_tiered(), 200_000, 1_000) == Decimal("0.615")


def test_above_the_threshold_the_tier_applies_to_the_whole_request() -> None:
    assert cost(_tiered(), 200_001, 1_000) == Decimal("1.2000060") + Decimal("0.0225")


def test_cached_tokens_count_toward_the_threshold_and_fall_back_to_the_tier_input() -> None:
    # 100k uncached + 150k cached > 200k: the tier has no cached price, so its input applies
    assert cost(_tiered(), 100_000, 0, cached_input_tokens=150_000) == Decimal("1.5")


def test_cache_writes_use_their_price_or_the_input_price() -> None:
    base = Pricing(input=Decimal("3"), output=Decimal("15"))
    assert cost(base, 0, 0, cache_write_tokens=1_000_000) == Decimal("3")
    priced = base.model_copy(update={"cache_write": Decimal("3.75")})
    assert cost(priced, 0, 0, cache_write_tokens=1_000_000) == Decimal("3.75")


def test_tiers_must_ascend() -> None:
    with pytest.raises(ValidationError, match="ascending"):
        Pricing.model_validate(
            {
                "input": 1,
                "output": 1,
                "tiers": [
                    {"aboveInputTokens": 200_000, "input": 2, "output": 2},
                    {"aboveInputTokens": 128_000, "input": 3, "output": 3},
                ],
            }
        )


def test_no_tiers_is_left_out_of_the_json() -> None:
    assert "tiers" not in Pricing(input=Decimal(1), output=Decimal(1), tiers=[]).to_json()
