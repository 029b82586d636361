"""Cost arithmetic. Money is Decimal end to end."""

from __future__ import annotations

from decimal import Decimal

from modelplane.domain.models import Pricing

_PER = Decimal(1_000_000)


def cost(
    pricing: Pricing,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> Decimal:
    """USD for one request.

    ``input_tokens`` counts uncached input only; cached input is billed at the cached price
    when one is set (else the input price), reasoning tokens at the reasoning price when one
    is set (else the output price).

    >>> cost(Pricing(input=Decimal("2.5"), output=Decimal("10")), 1000, 500)
    Decimal('0.0075')
    """
    for name, tokens in (
        ("input_tokens", input_tokens),
        ("output_tokens", output_tokens),
        ("cached_input_tokens", cached_input_tokens),
        ("reasoning_tokens", reasoning_tokens),
    ):
        if tokens < 0:
            raise ValueError(f"{name} must not be negative, got {tokens}")
    cached_price = pricing.cached if pricing.cached is not None else pricing.input
    reasoning_price = pricing.reasoning if pricing.reasoning is not None else pricing.output
    total = (
        pricing.input * input_tokens
        + pricing.output * output_tokens
        + cached_price * cached_input_tokens
        + reasoning_price * reasoning_tokens
    )
    return total / _PER


REFERENCE_TOKENS = (1000, 1000)
"""The reference request the console prices a change with: 1K input and 1K output tokens."""


def reference_cost(pricing: Pricing) -> Decimal:
    """USD for the reference request (``REFERENCE_TOKENS``) at ``pricing``."""
    return cost(pricing, *REFERENCE_TOKENS)
