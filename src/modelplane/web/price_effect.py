"""What a price change does, in one sentence: the reference request's cost (1K input + 1K
output tokens, ``domain.pricing.reference_cost``) before and after, and the cost tier
(``CostTiers.tier_of`` of the average price). The model form, the import preview and the
model's history rows all say it with these words."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from modelplane.domain.history import FieldChange
from modelplane.domain.models import Pricing
from modelplane.domain.pricing import reference_cost
from modelplane.domain.router_config import CostTiers
from modelplane.web.filters import usd

REFERENCE = "A reference request (1K input + 1K output tokens)"
_PRICES = {"pricing.input": "input", "pricing.output": "output"}


def tier(tiers: CostTiers, pricing: Pricing) -> str:
    return tiers.tier_of(float(pricing.average))


def change_text(tiers: CostTiers, before: Pricing, after: Pricing) -> str:
    """``"$0.0125 → $0.015 (+20%); cost tier mid → premium"``"""
    old, new = reference_cost(before), reference_cost(after)
    change = f" ({(new - old) / old:+.0%})" if old else ""
    was, now = tier(tiers, before), tier(tiers, after)
    moved = f"cost tier {was} → {now}" if was != now else f"cost tier stays {now}"
    return f"{usd(old)} → {usd(new)}{change}; {moved}"


def changes_prices(changes: Iterable[FieldChange]) -> bool:
    return any(c.field in _PRICES for c in changes)


def with_changes(
    pricing: Pricing, changes: Iterable[FieldChange], side: Literal["old", "new"]
) -> Pricing | None:
    """``pricing`` with each changed input/output price set to the change's ``side``;
    ``None`` when that side has no price (a model created or a price cleared)."""
    update: dict[str, Decimal] = {}
    for c in changes:
        if c.field in _PRICES:
            value = c.old if side == "old" else c.new
            if not isinstance(value, int | float | str) or isinstance(value, bool):
                return None
            update[_PRICES[c.field]] = Decimal(str(value))
    return pricing.model_copy(update=update)


def row_text(tiers: CostTiers, pricing: Pricing, changes: list[FieldChange], side: str) -> str:
    """The sentence for a history row or an import row whose ``changes`` touch a price;
    ``pricing`` is the model's pricing on ``side`` (``new``: after the change, ``old``:
    before it). Empty when the changes touch no input or output price."""
    if not changes_prices(changes):
        return ""
    other: Literal["old", "new"] = "old" if side == "new" else "new"
    derived = with_changes(pricing, changes, other)
    if derived is None:
        return ""
    before, after = (derived, pricing) if side == "new" else (pricing, derived)
    return f"{REFERENCE}: {change_text(tiers, before, after)}."


def import_row(console: Any, model_id: str, changes: list[FieldChange]) -> str:
    """For the import preview: the sentence for a stored model the import would reprice
    (the console's reader gives its prices now and the router's cost tiers)."""
    reader = console.runtime.reader
    model = reader.find(model_id)
    if model is None or not changes_prices(changes):
        return ""
    return row_text(reader.router_config().cost_tiers, model.pricing, changes, "old")
