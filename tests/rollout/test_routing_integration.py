"""Experiments and source flags take effect on real routing decisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from modelplane.bootstrap import Runtime
from modelplane.domain.experiments import ExperimentSpec, assign
from modelplane.domain.flags import UserContext
from modelplane.router import RouteRequest
from modelplane.services.experiments import create_experiment, experiment_report
from modelplane.services.flags import set_flag
from modelplane.services.router_data import update_router_config
from modelplane.services.routing import route
from modelplane.settings import Settings
from modelplane.store.static import read_json

CODING = {"primaryCategory": "coding", "complexity": "moderate"}


@pytest.fixture
def live(seeded: Engine, database_url: str) -> Iterator[Runtime]:
    rt = Runtime(Settings(database_url=database_url, environment="test"), live_reads=True)
    yield rt
    rt.close()


def only_cheap() -> dict[str, Any]:
    config: dict[str, Any] = read_json("router-defaults.json")
    for complexity in ("simple", "moderate", "complex"):
        config["tierWeights"][complexity] = {"cheap": 1.0, "mid": 0.0, "premium": 0.0}
    return config


def only_premium() -> dict[str, Any]:
    config: dict[str, Any] = read_json("router-defaults.json")
    for complexity in ("simple", "moderate", "complex"):
        config["tierWeights"][complexity] = {"cheap": 0.0, "mid": 0.0, "premium": 1.0}
    return config


def test_users_in_an_experiment_route_with_their_variants_config(live: Runtime) -> None:
    spec = {
        "name": "tiers",
        "variants": [
            {"name": "cheap", "weight": 50, "config": only_cheap()},
            {"name": "premium", "weight": 50, "config": only_premium()},
        ],
    }
    with live.unit_of_work() as uow:
        create_experiment(uow, spec, "ops")
        uow.commit()
    experiment = ExperimentSpec.model_validate(spec)
    seen: dict[str, set[str | None]] = {"cheap": set(), "premium": set()}
    for i in range(40):
        user = UserContext(f"user-{i}")
        decision = route(
            live, RouteRequest.model_validate({"classification": CODING, "seed": i}), context=user
        )
        expected = assign(experiment, user)
        assert expected is not None
        assert (decision.experiment, decision.variant) == ("tiers", expected.name)
        seen[expected.name].add(decision.tier)
    assert seen == {"cheap": {"cheap"}, "premium": {"premium"}}

    anonymous = route(
        live, RouteRequest.model_validate({"classification": CODING}), context=UserContext()
    )
    assert anonymous.variant is None

    live.decisions.flush()
    with live.unit_of_work() as uow:
        report = experiment_report(uow, "tiers")
    by_variant = {v["variant"]: v for v in report["variants"]}
    assert by_variant["cheap"]["decisions"] + by_variant["premium"]["decisions"] == 40
    assert by_variant["cheap"]["tierMix"]["cheap"] == 1.0
    assert by_variant["premium"]["tierMix"]["premium"] == 1.0
    assert by_variant["premium"]["explorationRate"] == 1.0
    assert by_variant["premium"]["meanCostPer1kTokens"] > by_variant["cheap"]["meanCostPer1kTokens"]


def test_router_config_source_flag_chooses_static_dials_per_user(live: Runtime) -> None:
    with live.unit_of_work() as uow:
        update_router_config(uow, {"scoringBonuses": {"reasoningBonus": 40}}, "ops", None)
        set_flag(uow, "router_config_source", {"percentage": 0}, "ops", "roll back routing")
        uow.commit()
    decision = route(
        live,
        RouteRequest.model_validate({"classification": CODING}),
        context=UserContext("someone"),
    )
    assert decision.config_version == 0  # the static tables' config

    with live.unit_of_work() as uow:
        set_flag(uow, "router_config_source", {"percentage": 100}, "ops", "forward again")
        uow.commit()
    decision = route(
        live,
        RouteRequest.model_validate({"classification": CODING}),
        context=UserContext("someone"),
    )
    assert decision.config_version == 2
