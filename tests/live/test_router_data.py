"""The router's per-model terms are compiled when a snapshot is built, not on a request."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from modelplane.live.snapshot import load_snapshot, router_data, static_snapshot
from modelplane.router.selection.compiled import CompiledRouter, compile_router


def terms(router: CompiledRouter) -> list[tuple[object, ...]]:
    pools = {
        key: [[m.id for m in pool.models] for pool in tiers] for key, tiers in router.pools.items()
    }
    models = [(m.index, m.id, m.tier, m.cost_unit, m.speed_bonus, m.profile) for m in router.models]
    return [tuple(models), tuple(sorted(pools.items())), (router.config_version,)]


def test_a_loaded_snapshot_carries_its_compiled_router_data(seeded: Engine) -> None:
    snapshot = load_snapshot(seeded)
    assert snapshot.router_data is not None
    again = compile_router(
        list(snapshot.models.values()),
        snapshot.profiles_list(),
        snapshot.router_config,
        [c.id for c in snapshot.categories],
    )
    assert terms(snapshot.router_data) == terms(again)
    assert router_data(snapshot, snapshot) is snapshot.router_data


def test_a_model_change_recompiles_only_what_changed_and_agrees_with_a_full_compile() -> None:
    base = static_snapshot()
    assert base.router_data is not None
    price = base.models["openai:gpt-5"].pricing.model_copy(update={"input": Decimal(40)})
    changed = base.models["openai:gpt-5"].model_copy(update={"pricing": price})
    new = base.with_models(1, {"openai:gpt-5": changed, "openai:gpt-5-mini": None})
    assert new.router_data is not None
    full = compile_router(
        list(new.models.values()),
        new.profiles_list(),
        new.router_config,
        [c.id for c in new.categories],
    )
    assert terms(new.router_data) == terms(full)
    kept = base.router_data.by_id["anthropic:claude-opus-4.5"]
    assert new.router_data.by_id["anthropic:claude-opus-4.5"].model is kept.model


def test_mixed_sources_compile_once_per_snapshot(seeded: Engine) -> None:
    database, static = load_snapshot(seeded), static_snapshot()
    mixed = router_data(static, database)
    assert router_data(static, database) is mixed
    assert [m.id for m in mixed.models] == sorted(static.models)
    assert mixed.config_version == database.router_config.version
