"""Experiments (``domain/experiments.py``): variants on split traffic, sticky per user."""

from __future__ import annotations

from typing import Any

from modelplane.domain.experiments import Experiment, ExperimentSpec, assign
from modelplane.domain.flags import UserContext, bucket

from .support import problems, router_defaults


def data(*weights: int, name: str = "cheap-first") -> dict[str, Any]:
    config = router_defaults()
    variants = [{"name": f"v{i}", "weight": w, "config": config} for i, w in enumerate(weights)]
    return {"name": name, "variants": variants}


def spec(*weights: int, name: str = "cheap-first") -> ExperimentSpec:
    return ExperimentSpec.model_validate(data(*weights, name=name))


def test_a_user_falls_in_the_variants_cumulative_weights_in_order() -> None:
    # cheap-first buckets: eve 1, ana 23, fay 31, cy 45, ben 63, dee 85.
    experiment = spec(30, 20, 50)
    got = {u: assign(experiment, UserContext(u)) for u in ("eve", "ana", "fay", "cy", "ben", "dee")}
    assert {u: v.name for u, v in got.items() if v} == {
        "eve": "v0",
        "ana": "v0",
        "fay": "v1",
        "cy": "v1",
        "ben": "v2",
        "dee": "v2",
    }


def test_the_bucket_is_keyed_by_the_experiment_name() -> None:
    assert bucket("cheap-first", "ana") != bucket("other", "ana")
    users = [UserContext(f"u{i}") for i in range(200)]
    a = [assign(spec(50, 50), u) for u in users]
    b = [assign(spec(50, 50, name="other"), u) for u in users]
    assert [v.name for v in a if v] != [v.name for v in b if v]


def test_a_session_stands_in_for_a_missing_user_and_nobody_is_not_assigned() -> None:
    assert assign(spec(100), UserContext(session_id="s1")) is not None
    assert assign(spec(100), UserContext()) is None


def test_a_zero_weight_variant_gets_nobody() -> None:
    experiment = spec(0, 100)
    assert {assign(experiment, UserContext(f"u{i}")).name for i in range(300)} == {"v1"}  # type: ignore[union-attr]


def test_weights_must_sum_to_100() -> None:
    [error] = problems(ExperimentSpec, data(50, 40))
    assert error.path == "variants"
    assert "variant weights must sum to 100, they sum to 90" in error.message


def test_variant_names_must_be_unique() -> None:
    document = data(50, 50)
    document["variants"][1]["name"] = "v0"
    [error] = problems(ExperimentSpec, document)
    assert "variant names must be unique" in error.message


def test_a_variant_config_is_validated_as_a_router_config() -> None:
    document = data(100)
    document["variants"][0]["config"]["costTiers"] = {"cheapThreshold": 9, "midThreshold": 1}
    [error] = problems(ExperimentSpec, document)
    assert error.path == "variants[0].config.costTiers"


def test_a_stored_experiment_finds_its_variants_by_name() -> None:
    stored = Experiment.model_validate(
        {**data(60, 40), "createdAt": "2026-01-01T00:00:00Z", "createdBy": "ana"}
    )
    assert stored.status == "running"
    assert stored.variant("v1") is not None
    assert stored.variant("v1").weight == 40  # type: ignore[union-attr]
    assert stored.variant("v9") is None
