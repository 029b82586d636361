"""A snapshot knows when its next scheduled price starts and re-prices its models then,
with no write: by ``with_due_prices``, or along with an edit of another model."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal

from modelplane.domain.clock import utcnow
from modelplane.domain.models import DatedPrice, Pricing
from modelplane.domain.prices import SINCE_EVER
from modelplane.live.snapshot import Snapshot
from modelplane.store.static import static_tables

MODEL = "openai:gpt-5"
OTHER = "openai:gpt-5-mini"


def snapshot_with_a_price_at(start_in: timedelta) -> Snapshot:
    tables = static_tables()
    start = utcnow() + start_in
    models = []
    for model in tables.models:
        if model.id == MODEL:
            timeline = (
                DatedPrice(effective_from=SINCE_EVER, pricing=model.pricing),
                DatedPrice(
                    effective_from=start, pricing=Pricing(input=Decimal(9), output=Decimal(9))
                ),
            )
            model = model.model_copy(update={"price_timeline": timeline})
        models.append(model)
    return Snapshot.build(
        1, "db", models, tables.providers, tables.categories, tables.profiles, tables.router_config
    )


def served_input(snapshot: Snapshot, model_id: str) -> Decimal:
    return Decimal(str(json.loads(snapshot.model_json[model_id])["pricing"]["input"]))


def test_the_next_price_applies_at_its_time_with_no_write() -> None:
    snapshot = snapshot_with_a_price_at(timedelta(hours=1))
    assert snapshot.next_price_change is not None
    assert snapshot.with_due_prices(utcnow()) is None
    later = snapshot.with_due_prices(utcnow() + timedelta(hours=2))
    assert later is not None
    assert later.sequence == snapshot.sequence
    assert later.models[MODEL].pricing.input == Decimal(9)
    assert served_input(later, MODEL) == Decimal(9)  # the rendered JSON too
    assert later.next_price_change is None
    assert later.compiled() is not None


def test_a_price_already_started_when_built_is_in_force() -> None:
    snapshot = snapshot_with_a_price_at(timedelta(hours=-1))
    assert snapshot.models[MODEL].pricing.input == Decimal(9)
    assert snapshot.next_price_change is None


def test_an_edit_of_another_model_does_not_skip_a_price_that_started() -> None:
    snapshot = snapshot_with_a_price_at(timedelta(milliseconds=1))
    other = snapshot.models[OTHER].model_copy(update={"name": "renamed"})
    time.sleep(0.01)
    edited = snapshot.with_models(2, {OTHER: other})
    assert edited.models[MODEL].pricing.input == Decimal(9)
    assert edited.models[OTHER].name == "renamed"
