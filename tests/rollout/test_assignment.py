"""``rollout.assignment.choose``: one pure function decides source, arm and shadowing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelplane.domain.experiments import Experiment, assign
from modelplane.domain.flags import FlagSpec, UserContext
from modelplane.rollout.assignment import (
    SAMPLE_FLAG,
    choose,
    environment_sources,
    needs_database,
    shadow_share,
)
from modelplane.services.flags import KNOWN
from modelplane.store.static import read_json

USER = UserContext("user-1")


def experiment(name: str = "tiers", status: str = "running") -> Experiment:
    config: dict[str, Any] = read_json("router-defaults.json")
    return Experiment.model_validate(
        {
            "name": name,
            "status": status,
            "variants": [
                {"name": "a", "weight": 50, "config": config},
                {"name": "b", "weight": 50, "config": config},
            ],
            "createdAt": datetime(2025, 1, 1, tzinfo=UTC),
            "createdBy": "ops",
        }
    )


def test_with_no_flags_stored_everyone_reads_the_database_and_nobody_is_shadowed() -> None:
    chosen = choose(USER, {}, [], {}, defaults=KNOWN, roll=0.0)
    assert chosen.sources == ("db", "db")
    assert chosen.arm is None and not chosen.shadowed


def test_each_source_flag_chooses_its_own_source() -> None:
    flags = {"router_config_source": FlagSpec(name="router_config_source", enabled=False)}
    assert choose(USER, flags, [], {}, defaults=KNOWN).sources == ("db", "static")
    flags = {"models_source": FlagSpec(name="models_source", enabled=True, percentage=0)}
    assert choose(USER, flags, [], {}, defaults=KNOWN).sources == ("static", "db")


def test_an_environment_override_wins_over_the_flag() -> None:
    flags = {"models_source": FlagSpec(name="models_source", enabled=True, percentage=100)}
    chosen = choose(USER, flags, [], {"models_source": False}, defaults=KNOWN)
    assert chosen.models == "static"


def test_an_experiment_assigns_its_variant_only_with_routing_data_from_the_database() -> None:
    running = experiment()
    variant = assign(running, USER)
    assert variant is not None
    arm = choose(USER, {}, [running], {}, defaults=KNOWN).arm
    assert arm is not None and (arm.experiment, arm.variant) == ("tiers", variant.name)
    static_routing = {"router_config_source": False}
    assert choose(USER, {}, [running], static_routing, defaults=KNOWN).arm is None
    assert choose(UserContext(), {}, [running], {}, defaults=KNOWN).arm is None
    ended = experiment(status="ended")
    assert choose(USER, {}, [ended], {}, defaults=KNOWN).arm is None


def test_the_shadowed_share_is_the_parity_flags_percentage() -> None:
    flags = {SAMPLE_FLAG: FlagSpec(name=SAMPLE_FLAG, enabled=True, percentage=10)}
    assert shadow_share(flags, {}) == 10
    assert choose(USER, flags, [], {}, defaults=KNOWN, roll=9.99).shadowed
    assert not choose(USER, flags, [], {}, defaults=KNOWN, roll=10.0).shadowed
    assert not choose(USER, flags, [], {}, defaults=KNOWN, roll=None).shadowed
    assert shadow_share(flags, {SAMPLE_FLAG: False}) == 0
    assert shadow_share({}, {SAMPLE_FLAG: True}) == 100
    disabled = {SAMPLE_FLAG: FlagSpec(name=SAMPLE_FLAG, enabled=False, percentage=50)}
    assert shadow_share(disabled, {}) == 0


def test_without_a_user_only_the_environment_chooses() -> None:
    assert environment_sources({}).sources == ("db", "db")
    assert environment_sources({"models_source": False}).sources == ("static", "db")
    assert needs_database({"models_source": False})
    assert not needs_database({"models_source": False, "router_config_source": False})
