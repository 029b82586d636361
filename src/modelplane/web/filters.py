"""Template filters: how the console shows money, token counts, scores and times."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any


def money(value: Any) -> str:
    if value is None:
        return "—"
    text = f"{float(value):,.4f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def usd(value: Decimal | None) -> str:
    """Money to sensible precision: cents from a cent up, else four significant digits
    (``Decimal("0.0125") -> "$0.0125"``, ``Decimal("12.345") -> "$12.35"``)."""
    if value is None:
        return "—"
    if value == 0:
        return "$0"
    if abs(value) >= Decimal("0.01"):
        return f"${value.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):,}"
    exponent = value.adjusted() - 3
    return f"${value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_EVEN):f}"


def tokens(value: int | None) -> str:
    if value is None:
        return "—"
    if value >= 1_000_000 and value % 100_000 == 0:
        return f"{value / 1_000_000:g}M"
    if value >= 1000 and value % 1000 == 0:
        return f"{value // 1000}K"
    return f"{value:,}"


def score_colour(score: Any) -> str:
    """A background on a red-amber-green scale for a 0-100 score, readable with dark text."""
    try:
        value = max(0.0, min(100.0, float(score)))
    except (TypeError, ValueError):
        return ""
    hue = round(value * 1.2)  # 0 red .. 120 green
    return f"background-color: hsl({hue} 70% 85%)"


def short_time(value: Any) -> str:
    if value is None:
        return "—"
    return str(value.strftime("%Y-%m-%d %H:%M"))


def pairs(items: Iterable[object]) -> list[tuple[str, str]]:
    """``(value, label)`` choices for a select whose labels are its values."""
    return [(str(i), str(i)) for i in items]


FILTERS: dict[str, Callable[..., object]] = {
    "money": money,
    "usd": usd,
    "tokens": tokens,
    "score_colour": score_colour,
    "short_time": short_time,
    "pairs": pairs,
}
