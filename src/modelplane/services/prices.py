"""Prices with dates: scheduling a price, and keeping the timeline true on every write.

A price written without a date applies from the moment of the write (``follow``, called by
every model write that changes the price in force). A price with a date is an entry of
the timeline (``schedule_price``): in the future, it takes effect then in every process
with no further write (each snapshot knows its next price change); in the past, it prices
what happened since (usage is priced at the price in force at its own time). A model's
stored ``pricing`` column is its last undated price; every read gives the one in force.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import NotFound, nearest
from modelplane.domain.models import DatedPrice, Model, ModelSpec
from modelplane.domain.prices import SINCE_EVER, price_at
from modelplane.domain.validation import deep_merge, require_object, validate, validate_reason
from modelplane.services import webhooks
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory


def follow(uow: UnitOfWork, before: Model | None, after: Model, author: str, at: datetime) -> None:
    """After a write of ``after`` over ``before``: when the price in force at ``at``
    changed, the timeline gains the new price from ``at`` on (and, the first time, the old
    price from ever until then)."""
    if before is None:
        return
    repo = uow.prices
    timeline = before.price_timeline  # read with the model, just before this write
    if price_at(timeline, at, before.pricing) == after.pricing:
        return
    if not timeline:
        since = DatedPrice(effective_from=SINCE_EVER, pricing=before.pricing)
        repo.put(after.id, since, at, before.updated_by or author)
    repo.put(after.id, DatedPrice(effective_from=at, pricing=after.pricing), at, author)


def _require(uow: UnitOfWork, model_id: str) -> Model:
    model = uow.models.get(model_id)
    if model is None:
        raise NotFound("model", model_id, nearest(model_id, uow.models.ids()))
    return model


def record_price_in(
    uow: UnitOfWork, current: Model, entry: DatedPrice, author: str, now: datetime
) -> None:
    """Within ``uow``: add ``entry`` (a whole price) to ``current``'s timeline, which
    first gains the model's undated price from ever on. One in force already (dated at or
    before ``now``) is announced at once; a scheduled one when it takes effect. The path
    of ``schedule_price`` and of an import's price timelines (``services/bulk_prices``)."""
    repo = uow.prices
    if not current.price_timeline:
        since = DatedPrice(effective_from=SINCE_EVER, pricing=current.pricing)
        repo.put(current.id, since, now, current.updated_by or author)
    repo.put(current.id, entry, now, author)
    # Every process re-reads the model with its timeline; reads price it as in force.
    uow.touch("model", current.id)
    if entry.effective_from <= now:
        old = current.pricing_at(entry.effective_from)
        webhooks.price_changed(
            uow,
            current.id,
            old.to_json(),
            entry.pricing.to_json(),
            entry.effective_from.isoformat(),
            author,
            entry.reason,
        )


def schedule_price(
    uows: UnitOfWorkFactory,
    model_id: str,
    pricing: dict[str, Any],
    effective_from: datetime,
    author: str,
    reason: str | None = None,
) -> Model:
    """From ``effective_from`` on, the model costs ``pricing`` (a partial price merged
    over the one in force then). A price dated in the past applies at once and is
    announced (``model.price_changed``) at once; one in the future is announced, with a
    version of its own in the model's history, when it takes effect (``services/moments``)."""
    reason = validate_reason(reason)
    patch = require_object(pricing, "pricing")
    now = utcnow()
    with uows() as uow:
        current = _require(uow, model_id)
        old = current.pricing_at(effective_from)
        merged = deep_merge(current.spec().to_json(), {"pricing": deep_merge(old.to_json(), patch)})
        new = validate(ModelSpec, merged).pricing
        entry = DatedPrice(effective_from=effective_from, pricing=new, reason=reason)
        record_price_in(uow, current, entry, author, now)
        model = _require(uow, model_id)
        uow.commit()
    return model
