"""The router's per-model terms are compiled when a snapshot is built, not on a request."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine

from modelplane.domain.models import Model
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


def whole(router: CompiledRouter) -> list[object]:
    """Everything ``terms`` compares, plus each pool's bisection keys and positions, the
    sunsets and the classifier context."""
    pools = [
        (key, pool.neg_context, sorted(pool.position.items()))
        for key, tiers in sorted(router.pools.items())
        for pool in tiers
    ]
    sunsets = (router.sunsets.next_instant, router.sunsets.past(datetime.max.replace(tzinfo=UTC)))
    return [*terms(router), pools, sunsets, router.classifier_context, router.profiles_version]


def test_patched_pools_equal_a_full_compile_whatever_moves() -> None:
    """A change that moves a model between tiers and pools (price, context window,
    capabilities, status, sunset) or changes only its terms: the router patched in place
    equals one compiled from scratch."""
    base = static_snapshot()
    ids = sorted(base.models)
    rng = random.Random(14)
    current = base
    for round_ in range(12):
        changed: dict[str, Model | None] = {}
        for model_id in rng.sample(ids, 3):
            model = current.models[model_id]
            update: dict[str, object] = {}
            what = rng.choice(["price", "context", "vision", "status", "sunset", "name"])
            if what == "price":
                price = Decimal(rng.choice(["0.1", "3", "40"]))
                update["pricing"] = model.pricing.model_copy(update={"input": price})
            elif what == "context":
                update["context_window"] = rng.choice([8_000, 128_000, 1_000_000])
            elif what == "vision":
                caps = [c for c in model.capabilities if c != "vision"]
                update["capabilities"] = caps if model.has("vision") else [*caps, "vision"]
            elif what == "status":
                update["status"] = "deprecated" if model.status != "deprecated" else "active"
            elif what == "sunset":
                update["sunset_date"] = datetime(2030, 1, 1 + round_, tzinfo=UTC)
            else:
                update["name"] = f"{model.name} {round_}"
            changed[model_id] = model.model_copy(update=update)
        current = current.with_models(round_ + 1, changed)
        assert current.router_data is not None
        full = compile_router(
            list(current.models.values()),
            current.profiles_list(),
            current.router_config,
            [c.id for c in current.categories],
        )
        assert whole(current.router_data) == whole(full), round_
