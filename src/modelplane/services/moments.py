"""What happens when a moment comes with no write: a scheduled price takes effect, a
sunset passes.

Every process serves the new price and stops routing to a retired model at that instant by
its own clock (the snapshot knows the moments). Announcing them is a write, done once:
``run_due`` finds the moments due by the database's clock and claims each in its own
transaction (``store/moments.py``: inserting the moment's row; a racing claimant finds it
taken), in which a price that took effect becomes the model's next version (its history
says "price scheduled for T took effect", by whoever scheduled it) with
``model.price_changed``, and a passed sunset sends ``model.sunset``. Every server runs it
each second (``MomentsLoop``); ``modelplane changes run-due`` is the cron form.
"""

from __future__ import annotations

import logging
import threading

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import ConcurrentWrite, VersionConflict
from modelplane.services import models as model_svc
from modelplane.services import versioned, webhooks
from modelplane.store.moments import DuePrice, DueSunset
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)
INTERVAL = 1.0
"""Seconds between two looks for due moments in each server process."""


def took_effect_reason(entry: DuePrice) -> str:
    """The history reason of a scheduled price's taking effect: it names the schedule."""
    why = f"price scheduled for {entry.effective_from.isoformat()} took effect"
    why += f" (scheduled {entry.recorded_at.isoformat()})"
    return f"{why}: {entry.reason}" if entry.reason else why


def _take_effect(uow: UnitOfWork, entry: DuePrice) -> bool:
    """The model's next version, priced as from ``entry``: its history row (diff against
    the last recorded document) and ``model.price_changed``. False when the price in force
    did not change (the schedule repeated the price) or the model is gone."""
    kind = model_svc.KIND
    current = uow.models.get(entry.model_id)
    if current is None:
        return False
    new_price = current.pricing_at(entry.effective_from)
    value = current.model_copy(update={"pricing": new_price})
    before = uow.model_history.document(entry.model_id, current.version)
    after = dict(value.spec().to_json())
    if before is not None and before.get("pricing") == after["pricing"]:
        return False
    at = utcnow()
    version = current.version + 1
    stored = kind.build(value.spec(), current, version, entry.recorded_by, at)
    if not uow.models.replace(stored, current.version):
        raise VersionConflict("model", entry.model_id, current.version, current.version + 1, [])
    versioned.record(
        uow,
        kind,
        entry.model_id,
        version=version,
        change_type="updated",
        before=before,
        after=after,
        author=entry.recorded_by,
        reason=took_effect_reason(entry),
        at=at,
        effective_from=entry.effective_from,
    )
    return True


def _announce_sunset(uow: UnitOfWork, due: DueSunset) -> bool:
    """``model.sunset`` for the model, unless its sunset moved since it was found due."""
    model = uow.models.get(due.model_id)
    if model is None or model.sunset_date != due.sunset_date:
        return False
    webhooks.sunset_passed(uow, model)
    return True


def run_due(uows: UnitOfWorkFactory) -> tuple[list[str], list[str]]:
    """Announce every due moment once: (models whose scheduled price took effect, models
    whose sunset passed), as this call claimed them. Each moment is claimed in its own
    transaction, so one that fails (a racing edit) is left for the next look."""
    with uows(read_only=True) as uow:
        now = uow.moments.database_now()
        prices = uow.moments.due_prices(now)
        sunsets = uow.moments.due_sunsets(now)
    priced: list[str] = []
    retired: list[str] = []
    for entry in prices:
        try:
            with uows() as uow:
                if not uow.moments.claim("price", entry.model_id, entry.effective_from, utcnow()):
                    continue
                if _take_effect(uow, entry):
                    priced.append(entry.model_id)
                uow.commit()
        except (VersionConflict, ConcurrentWrite) as exc:  # not claimed: the next look
            log.info("scheduled price of %s: %s; trying again", entry.model_id, exc)
    for due in sunsets:
        try:
            with uows() as uow:
                if not uow.moments.claim("sunset", due.model_id, due.sunset_date, utcnow()):
                    continue
                if _announce_sunset(uow, due):
                    uow.commit()
                    retired.append(due.model_id)
        except ConcurrentWrite as exc:
            log.info("sunset of %s: %s; trying again", due.model_id, exc)
    return priced, retired


class MomentsLoop:
    """``run_due`` every ``interval`` seconds on a thread of its own (one per server)."""

    def __init__(self, uows: UnitOfWorkFactory, interval: float = INTERVAL) -> None:
        self._uows = uows
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="moments", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                run_due(self._uows)
            except Exception as exc:  # the database may be away, an edit raced: look again
                log.warning("due moments: %s", exc)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
