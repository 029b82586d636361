"""Cost arithmetic. Money is Decimal end to end."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from modelplane.domain.models import Model, PriceTier, Pricing

_PER = Decimal(1_000_000)


def cost(
    pricing: Pricing | Model,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    reasoning_tokens: int = 0,
    cache_write_tokens: int = 0,
    *,
    at: datetime | None = None,
) -> Decimal:
    """USD for one request.

    ``input_tokens`` counts uncached input only; cached input is billed at the cached price
    when one is set (else the input price), reasoning tokens at the reasoning price when one
    is set (else the output price), cache writes at the cache-write price (else the input
    price). Above a price tier's threshold of input tokens (uncached, cached and cache writes
    together) that tier's prices apply to the whole request (long-context pricing).

    A ``Model`` is priced at the price in force ``at`` (default: the price it was read
    with); see ``domain/prices.py``.

    >>> cost(Pricing(input=Decimal("2.5"), output=Decimal("10")), 1000, 500)
    Decimal('0.0075')
    """
    if isinstance(pricing, Model):
        pricing = pricing.pricing if at is None else pricing.pricing_at(at)
    for name, tokens in (
        ("input_tokens", input_tokens),
        ("output_tokens", output_tokens),
        ("cached_input_tokens", cached_input_tokens),
        ("reasoning_tokens", reasoning_tokens),
        ("cache_write_tokens", cache_write_tokens),
    ):
        if tokens < 0:
            raise ValueError(f"{name} must not be negative, got {tokens}")
    prices: Pricing | PriceTier = tier_for(
        pricing, input_tokens + cached_input_tokens + cache_write_tokens
    )
    cached_price = prices.cached if prices.cached is not None else prices.input
    reasoning_price = prices.reasoning if prices.reasoning is not None else prices.output
    write_price = prices.cache_write if prices.cache_write is not None else prices.input
    total = (
        prices.input * input_tokens
        + prices.output * output_tokens
        + cached_price * cached_input_tokens
        + reasoning_price * reasoning_tokens
        + write_price * cache_write_tokens
    )
    return total / _PER


def tier_for(pricing: Pricing, prompt_tokens: int) -> Pricing | PriceTier:
    """The prices for a request with ``prompt_tokens`` of input: the highest tier whose
    threshold it exceeds, else the base prices."""
    chosen: Pricing | PriceTier = pricing
    for tier in pricing.tiers or ():
        if prompt_tokens > tier.above_input_tokens:
            chosen = tier
    return chosen


REFERENCE_TOKENS = (1000, 1000)
"""The reference request the console prices a change with: 1K input and 1K output tokens."""


def reference_cost(pricing: Pricing) -> Decimal:
    """USD for the reference request (``REFERENCE_TOKENS``) at ``pricing``."""
    return cost(pricing, *REFERENCE_TOKENS)
