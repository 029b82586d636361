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


SCORE_BANDS = 10
"""Scores are coloured in bands of ten points: ``score-0`` (0-9) to ``score-10`` (100),
classes of the static stylesheet on a red-amber-green scale (no inline style: the CSP)."""


def score_class(score: Any) -> str:
    """The ``score-N`` class of a 0-100 score's colour band; "" for no score."""
    try:
        value = max(0.0, min(100.0, float(score)))
    except (TypeError, ValueError):
        return ""
    if value != value:  # NaN
        return ""
    return f"score-{int(value // SCORE_BANDS)}"


def short_time(value: Any) -> str:
    if value is None:
        return "—"
    return str(value.strftime("%Y-%m-%d %H:%M"))


def pairs(items: Iterable[object]) -> list[tuple[str, str]]:
    """``(value, label)`` choices for a select whose labels are its values."""
    return [(str(i), str(i)) for i in items]


def parity_details(details: Any) -> list[str]:
    """A parity mismatch's details as lines a person reads: each differing value as
    "what: static tables X, database Y"."""
    if not isinstance(details, dict):
        return [] if details is None else [str(details)]
    lines: list[str] = []
    if "static" in details or "db" in details:
        lines.append(
            f"static tables {_plain(details.get('static'))}, database {_plain(details.get('db'))}"
        )
    for key, value in details.items():
        if key in ("static", "db"):
            continue
        if key == "fields" and isinstance(value, dict):
            for name, pair in value.items():
                if isinstance(pair, dict):
                    lines.append(
                        f"{name} price: static tables {_plain(pair.get('static'))}, "
                        f"database {_plain(pair.get('db'))}"
                    )
        elif key == "tokens" and isinstance(value, list):
            lines.append(
                "for "
                + ", ".join(f"{n:,}" for n in value if isinstance(n, int))
                + " tokens (input, output, cached, reasoning)"
            )
        else:
            lines.append(f"{key}: {_plain(value)}")
    return lines


def _plain(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value)


FILTERS: dict[str, Callable[..., object]] = {
    "parity_details": parity_details,
    "money": money,
    "usd": usd,
    "tokens": tokens,
    "score_class": score_class,
    "short_time": short_time,
    "pairs": pairs,
}
