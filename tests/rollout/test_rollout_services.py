"""Flags, experiments and parity against the real databases."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.cli import app
from modelplane.domain.errors import InvalidInput
from modelplane.domain.experiments import ExperimentSpec, assign
from modelplane.domain.flags import UserContext, bucket
from modelplane.domain.reader import CatalogReader
from modelplane.live.snapshot import load_snapshot, static_snapshot
from modelplane.live.source import SnapshotSource
from modelplane.rollout.parity import ParityRecorder, compare_catalogues
from modelplane.services.experiments import create_experiment, end_experiment, get_experiment
from modelplane.services.flags import flag_history_page, list_flags, set_flag
from modelplane.services.models import update_model
from modelplane.services.rollout_report import rollout_report
from modelplane.store.static import read_json
from modelplane.store.unit_of_work import UnitOfWork

runner = CliRunner()


def defaults() -> dict[str, Any]:
    config: dict[str, Any] = read_json("router-defaults.json")
    return config


def test_seed_creates_the_built_in_flags_fully_rolled_out(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow:
        flags = {f.name: f for f in list_flags(uow)}
    assert set(flags) == {"models_source", "router_config_source"}
    assert all(f.enabled and f.percentage == 100 for f in flags.values())


def test_flag_changes_are_versioned_with_author_and_reason(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow:
        set_flag(uow, "models_source", {"percentage": 10}, "ops", "step to 10%")
        set_flag(uow, "models_source", {"enabled": False}, "ops", "kill switch")
        uow.commit()
    with UnitOfWork(seeded) as uow:
        history = flag_history_page(uow, "models_source")
    assert [(h.version, h.author, h.reason) for h in history[:2]] == [
        (3, "ops", "kill switch"),
        (2, "ops", "step to 10%"),
    ]
    assert [(c.field, c.old, c.new) for c in history[1].changes] == [("percentage", 100, 10)]


def test_flag_percentage_out_of_range_is_refused_by_field(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow, pytest.raises(InvalidInput) as exc:
        set_flag(uow, "models_source", {"percentage": 101}, "ops")
    assert exc.value.errors[0].path == "percentage"


def test_cli_sets_lists_and_evaluates_flags(seeded: Engine, database_url: str) -> None:
    base = ["--database-url", database_url]
    result = runner.invoke(
        app,
        [*base, "flags", "set", "models_source", "--percentage", "10", "--reason", "first step"],
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(runner.invoke(app, [*base, "flags", "list", "--json"]).stdout)
    assert {f["name"]: f["percentage"] for f in listed["data"]}["models_source"] == 10
    evaluated = json.loads(
        runner.invoke(
            app, [*base, "flags", "eval", "models_source", "--user", "123", "--json"]
        ).stdout
    )
    assert evaluated["bucket"] == bucket("models_source", "123")
    assert evaluated["enabled"] is (evaluated["bucket"] <= 10)


def experiment(weights: tuple[int, int] = (70, 30)) -> dict[str, Any]:
    cheap_heavy = defaults()
    cheap_heavy["tierWeights"]["moderate"] = {"cheap": 0.8, "mid": 0.1, "premium": 0.1}
    return {
        "name": "cheap-moderate",
        "variants": [
            {"name": "control", "weight": weights[0], "config": defaults()},
            {"name": "cheap", "weight": weights[1], "config": cheap_heavy},
        ],
    }


def test_an_experiment_splits_users_by_its_weights() -> None:
    spec = ExperimentSpec.model_validate(experiment((70, 30)))
    n = 20_000
    counts = {"control": 0, "cheap": 0}
    for i in range(n):
        variant = assign(spec, UserContext(f"user-{i}"))
        assert variant is not None
        counts[variant.name] += 1
    assert abs(counts["cheap"] / n - 0.30) < 0.02  # tolerance: 2 percentage points
    assert assign(spec, UserContext()) is None
    assert assign(spec, UserContext("u-1")) == assign(spec, UserContext("u-1"))


def test_variant_weights_must_sum_to_100(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow, pytest.raises(InvalidInput) as exc:
        create_experiment(uow, experiment((70, 20)), "ops")
    assert "sum to 100" in str(exc.value)


def test_variant_configs_are_validated_like_the_live_one(seeded: Engine) -> None:
    bad = experiment()
    bad["variants"][1]["config"]["routerSettings"]["fallbackModelId"] = "nobody:nothing"
    with UnitOfWork(seeded) as uow, pytest.raises(InvalidInput) as exc:
        create_experiment(uow, bad, "ops")
    assert exc.value.errors[0].path == "variants[1].config.routerSettings.fallbackModelId"


def test_promoting_a_variant_writes_a_new_config_version(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow:
        create_experiment(uow, experiment(), "ops")
        uow.commit()
    with UnitOfWork(seeded) as uow:
        config = end_experiment(uow, "cheap-moderate", "ops", promote="cheap")
        uow.commit()
    assert config is not None
    assert config.version == 2
    assert config.tier_weights.moderate.cheap == 0.8
    with UnitOfWork(seeded) as uow:
        ended = get_experiment(uow, "cheap-moderate")
        history = uow.router_config_history.page("router")
    assert (ended.status, ended.outcome) == ("ended", "promoted cheap")
    assert history[0].reason == (
        "promoted variant 'cheap' of experiment 'cheap-moderate'; "
        "verdict: keep running: about 200 more requests needed"
    )


def test_a_seeded_price_discrepancy_appears_in_the_parity_report(seeded: Engine) -> None:
    with UnitOfWork(seeded) as uow:
        update_model(uow, "openai:gpt-5", {"pricing": {"input": 3}}, "ops", None)
        uow.commit()
    recorder = ParityRecorder(seeded)
    static = SnapshotSource.fixed(static_snapshot())
    database = SnapshotSource.fixed(load_snapshot(seeded))
    sample = compare_catalogues(CatalogReader(static, static), CatalogReader(database, database))
    recorder.record(sample)
    recorder.flush()
    recorder.close()
    with UnitOfWork(seeded) as uow:
        report = rollout_report(uow)
    assert set(report["sources"]) == {"static", "db"}
    assert report["sources"]["db"]["requests"] == 1
    assert report["sources"]["db"]["errorRate"] == 0
    # ops's edit explains the price and cost differences: named, and no request counted
    assert report["mismatches"] == {}
    assert report["mismatchedRequests"] == 0
    explained = {(e["kind"], e["modelId"]): e for e in report["explained"]}
    assert set(explained) == {("price", "openai:gpt-5"), ("cost", "openai:gpt-5")}
    assert explained["price", "openai:gpt-5"]["requests"] == 1
    assert "by ops" in explained["price", "openai:gpt-5"]["edit"]


def test_the_parity_report_counts_requests_not_differences(seeded: Engine) -> None:
    from modelplane.rollout.parity import Sample
    from modelplane.store.rollout_repositories import ParityRepository

    samples = [Sample("catalogue"), Sample("catalogue")]
    samples[1].at = samples[0].at + timedelta(seconds=1)
    for sample in samples:  # two requests, each with two price differences, no edit behind
        sample.mismatch("price", "openai:gpt-5-mini", fields={"input": {"static": 1, "db": 2}})
        sample.mismatch("price", "openai:gpt-5-nano", fields={"input": {"static": 1, "db": 2}})
    with seeded.begin() as conn:
        for sample in samples:
            ParityRepository(conn).add(sample.samples, sample.mismatches)
    with UnitOfWork(seeded) as uow:
        report = rollout_report(uow)
    assert report["mismatchedRequests"] == 2
    assert report["mismatches"]["price"]["requests"] == 2
    assert report["mismatches"]["price"]["count"] == 4
    assert report["explained"] == []
