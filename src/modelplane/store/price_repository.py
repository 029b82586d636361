"""Dated prices (``model_prices``): each model's price timeline, read and added to."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, select

from modelplane.domain.models import DatedPrice, Pricing
from modelplane.store import tables as t

_PRICE_COLUMNS = {
    "input": "input_price",
    "output": "output_price",
    "cached": "cached_price",
    "reasoning": "reasoning_price",
    "cache_write": "cache_write_price",
}


def price_values(pricing: Pricing) -> dict[str, Any]:
    """A price's columns: one per price, the long-context tiers as one JSON list. The
    models table and each dated price (``model_prices``) store a price the same way."""
    data = pricing.model_dump(mode="python")
    values: dict[str, Any] = {col: data[key] for key, col in _PRICE_COLUMNS.items()}
    values["price_tiers"] = [
        {
            key: format(value, "f") if isinstance(value, Decimal) else value
            for key, value in tier.model_dump(by_alias=True, exclude_none=True).items()
        }
        for tier in pricing.tiers or ()
    ] or None
    return values


def pricing_from(m: Any) -> Pricing:
    """The price stored in a row's price columns (``price_values``'s inverse)."""
    data: dict[str, Any] = {k: m[col] for k, col in _PRICE_COLUMNS.items() if m[col] is not None}
    if m["price_tiers"]:
        data["tiers"] = m["price_tiers"]
    return Pricing.model_validate(data)


def _entry(row: Any) -> DatedPrice:
    m = row._mapping
    return DatedPrice(
        effective_from=m["effective_from"],
        pricing=pricing_from(m),
        recorded_at=m["recorded_at"],
        recorded_by=m["recorded_by"],
        reason=m["reason"],
    )


class PriceRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def timelines(self, ids: Iterable[str] | None = None) -> dict[str, tuple[DatedPrice, ...]]:
        """The timelines of ``ids`` (every model's when ``None``), in order; models with
        none are left out."""
        c = t.model_prices.c
        query = select(t.model_prices).order_by(c.model_id, c.effective_from)
        if ids is not None:
            wanted = list(ids)
            if not wanted:
                return {}
            if len(wanted) <= 500:
                query = query.where(c.model_id.in_(wanted))
        found: dict[str, list[DatedPrice]] = {}
        for row in self._conn.execute(query):
            found.setdefault(row.model_id, []).append(_entry(row))
        return {k: tuple(v) for k, v in found.items()}

    def timeline(self, model_id: str) -> tuple[DatedPrice, ...]:
        return self.timelines([model_id]).get(model_id, ())

    def put(self, model_id: str, entry: DatedPrice, at: datetime, author: str) -> None:
        """Add ``entry``; one already starting at that moment is replaced."""
        c = t.model_prices.c
        self._conn.execute(
            delete(t.model_prices).where(
                c.model_id == model_id, c.effective_from == entry.effective_from
            )
        )
        self._conn.execute(
            t.model_prices.insert().values(
                model_id=model_id,
                effective_from=entry.effective_from,
                recorded_at=entry.recorded_at or at,
                recorded_by=entry.recorded_by or author,
                reason=entry.reason,
                **price_values(entry.pricing),
            )
        )
