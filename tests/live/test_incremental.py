"""Every kind of change a snapshot follows is applied incrementally (only the touched rows are
read, only what depends on them derived again), and the result equals a full reload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from modelplane.domain.clock import utcnow
from modelplane.domain.models import Provider
from modelplane.live.catalog import LiveCatalog
from modelplane.live.snapshot import Snapshot, load_snapshot
from modelplane.services import bulk, experiments, flags, prices, providers, router_data, tokens
from modelplane.services.models import retire_model, update_model
from modelplane.store.unit_of_work import UnitOfWorkFactory, factory_for
from tests.live.test_router_data import terms

MODEL = "openai:gpt-5"
OTHER = "anthropic:claude-opus-4.5"


@pytest.fixture
def uows(seeded: Engine) -> UnitOfWorkFactory:
    return factory_for(seeded)


@pytest.fixture
def live(seeded: Engine) -> LiveCatalog:
    catalog = LiveCatalog(seeded)  # not started: each test refreshes it by hand
    assert catalog.refresh()
    assert catalog.current.source == "db"
    return catalog


def assert_same(incremental: Snapshot, full: Snapshot) -> None:
    """Everything a reader or the router sees is equal (built_at and the memo aside)."""
    assert incremental.sequence == full.sequence
    assert dict(incremental.models) == dict(full.models)
    assert dict(incremental.model_json) == dict(full.model_json)
    assert incremental.ordered_ids == full.ordered_ids
    assert list(incremental.models) == list(full.models)
    assert incremental.providers == full.providers
    assert incremental.categories == full.categories
    assert dict(incremental.profiles) == dict(full.profiles)
    assert incremental.router_config == full.router_config
    assert dict(incremental.flags) == dict(full.flags)
    assert list(incremental.flags) == list(full.flags)
    assert incremental.experiments == full.experiments
    assert dict(incremental.tokens) == dict(full.tokens)
    assert incremental.next_price_change == full.next_price_change
    assert incremental.router_data is not None and full.router_data is not None
    assert terms(incremental.router_data) == terms(full.router_data)
    assert incremental.router_data.profiles_version == full.router_data.profiles_version
    assert incremental.router_data.categories == full.router_data.categories
    assert incremental.router_data.classifier_context == full.router_data.classifier_context
    assert incremental.router_data.dials == full.router_data.dials


def followed(live: LiveCatalog, seeded: Engine, write: Callable[[], Any]) -> Snapshot:
    """The snapshot after ``write``, applied incrementally and checked against a full load."""
    before = live.current
    write()
    assert live.refresh()
    after = live.current
    assert after.sequence > before.sequence
    assert_same(after, load_snapshot(seeded))
    return after


def profile_write(uows: UnitOfWorkFactory, model_id: str, coding: int) -> Callable[[], Any]:
    def write() -> None:
        with uows(read_only=True) as uow:
            profile = router_data.get_profile(uow, model_id)
        scores = {**profile.category_scores, "coding": coding}
        spec = profile.spec().model_copy(update={"category_scores": scores})
        router_data.put_profile(uows, spec, "tester", profile.version, "test")

    return write


def test_a_model_edit(live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory) -> None:
    before = live.current

    def write() -> None:
        with uows() as uow:
            update_model(uow, MODEL, {"pricing": {"input": 6}}, "tester", None, "test")
            uow.commit()

    after = followed(live, seeded, write)
    assert after.models[MODEL].pricing.input == 6
    assert after.profiles is before.profiles and after.flags is before.flags
    assert after.router_data is not None and before.router_data is not None
    assert after.router_data.by_id[OTHER] is before.router_data.by_id[OTHER]  # kept


def test_a_profile_edit_recompiles_only_that_models_terms(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    before = live.current
    after = followed(live, seeded, profile_write(uows, MODEL, 3))
    assert after.profiles[MODEL].category_scores["coding"] == 3
    assert after.models is before.models and after.model_json is before.model_json
    assert after.router_config is before.router_config
    assert after.router_data is not None and before.router_data is not None
    assert after.router_data.by_id[MODEL].profile == after.profiles[MODEL]
    assert after.router_data.by_id[OTHER] is before.router_data.by_id[OTHER]


def test_a_router_config_edit_recompiles_the_router_whole(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    before = live.current
    patch = {"costTiers": {"cheapThreshold": 0.5}}
    after = followed(
        live, seeded, lambda: router_data.update_router_config(uows, patch, "t", None, "test")
    )
    assert after.router_config.version == before.router_config.version + 1
    assert after.models is before.models and after.profiles is before.profiles


def test_a_flag_edit_keeps_every_derived_part(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    before = live.current
    before.memo("rendered list", lambda: b"[...]")
    after = followed(
        live,
        seeded,
        lambda: flags.set_flag(uows, "bench_flag", {"enabled": True, "percentage": 5}, "t"),
    )
    assert after.flags["bench_flag"].percentage == 5
    assert after.models is before.models and after.router_data is before.router_data
    assert after.memo("rendered list", lambda: b"rendered again") == b"[...]"
    again = followed(
        live,
        seeded,
        lambda: flags.set_flag(uows, "bench_flag", {"percentage": 50}, "t", None, 1),
    )
    assert again.flags["bench_flag"].percentage == 50


def test_a_new_provider(live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory) -> None:
    before = live.current
    provider = Provider(id="acme", display_name="Acme AI")
    after = followed(live, seeded, lambda: providers.create_provider(uows, provider, "t"))
    assert provider in after.providers
    assert after.router_data is before.router_data


def test_tokens_created_and_revoked(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    spec = tokens.TokenSpec(name="ci-bot", role="viewer")
    after = followed(live, seeded, lambda: tokens.create_token(uows, spec, "t"))
    assert any(r.name == "ci-bot" for r in after.tokens.values())
    after = followed(live, seeded, lambda: tokens.revoke_token(uows, "ci-bot", "t", "test"))
    assert not any(r.name == "ci-bot" for r in after.tokens.values())


def test_an_experiment_started_and_ended(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    config = live.current.router_config.doc().to_json()
    data = {
        "name": "cheaper",
        "variants": [
            {"name": "control", "weight": 50, "config": config},
            {"name": "cheap", "weight": 50, "config": config},
        ],
    }
    after = followed(live, seeded, lambda: experiments.create_experiment(uows, data, "t"))
    assert [e.name for e in after.experiments] == ["cheaper"]
    after = followed(
        live, seeded, lambda: experiments.end_experiment(uows, "cheaper", "t", None, "test")
    )
    assert after.experiments == ()


def test_a_new_category_recompiles_the_router_whole(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    before = live.current
    category = {"id": "poetry", "label": "Poetry", "position": 99}
    after = followed(
        live,
        seeded,
        lambda: bulk.import_document(uows, {"categories": [category]}, "t", False, "test"),
    )
    assert "poetry" in [c.id for c in after.categories]
    assert after.router_data is not None and "poetry" in after.router_data.categories
    assert after.models is before.models


def test_a_retired_model_and_a_scheduled_price(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    after = followed(live, seeded, lambda: retire_model(uows, OTHER, "t", "test"))
    assert OTHER not in after.models and OTHER not in after.ordered_ids
    soon = utcnow() + timedelta(days=3)
    after = followed(
        live, seeded, lambda: prices.schedule_price(uows, MODEL, {"input": 9}, soon, "t", "test")
    )
    assert after.next_price_change == soon


def test_many_kinds_in_one_catch_up(
    live: LiveCatalog, seeded: Engine, uows: UnitOfWorkFactory
) -> None:
    def writes() -> None:
        with uows() as uow:
            update_model(uow, OTHER, {"pricing": {"output": 70}}, "tester", None, "test")
            uow.commit()
        profile_write(uows, MODEL, 7)()
        profile_write(uows, OTHER, 8)()
        flags.set_flag(uows, "other_flag", {"enabled": False}, "t")
        providers.create_provider(uows, Provider(id="acme", display_name="Acme"), "t")
        router_data.update_router_config(uows, {"costTiers": {"cheapThreshold": 0.4}}, "t", None)

    after = followed(live, seeded, writes)
    assert after.profiles[OTHER].category_scores["coding"] == 8


def test_another_kind_of_change_still_reloads_in_full(live: LiveCatalog, seeded: Engine) -> None:
    from modelplane.store.unit_of_work import UnitOfWork

    before = live.current
    with UnitOfWork(seeded) as uow:
        uow.touch("something_new", "x")  # a kind no snapshot follows
        uow.commit()
    assert live.refresh()
    after = live.current
    assert after.profiles is not before.profiles  # everything was read again
    assert_same(after, load_snapshot(seeded))
