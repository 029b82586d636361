"""Flags, experiments, the rollout report, users and the router's data from the CLI: the
same commands and the same JSON against the database and against a running server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelplane.store.static import read_json
from tests.cli.test_manage_cli import mode, run, server

__all__ = ["mode", "server"]  # fixtures, used by name


def ok(mode: list[str], *args: str) -> Any:
    code, stdout, stderr = run(mode, *args, "--json")
    assert code == 0, stderr
    return json.loads(stdout)


def test_flags_set_history_rollback_and_eval(mode: list[str]) -> None:
    first = ok(mode, "flags", "set", "beta_x", "--on", "--percentage", "10", "--reason", "start")
    assert first["version"] == 1 and first["override"] is None
    second = ok(mode, "flags", "set", "beta_x", "--percentage", "60")
    assert (second["version"], second["percentage"], second["enabled"]) == (2, 60, True)
    code, _, stderr = run(
        mode, "flags", "set", "beta_x", "--percentage", "5", "--expected-version", "1"
    )
    assert code == 1 and "version" in stderr
    history = ok(mode, "flags", "history", "beta_x")
    assert [e["version"] for e in history["data"]] == [2, 1]
    assert history["data"][1]["reason"] == "start"
    back = ok(mode, "flags", "rollback", "beta_x", "--to", "1", "--reason", "too fast")
    assert (back["version"], back["percentage"]) == (3, 10)
    evaluated = ok(mode, "flags", "eval", "beta_x", "--user", "u-7")
    assert evaluated["flag"] == "beta_x" and 1 <= evaluated["bucket"] <= 100
    listed = ok(mode, "flags", "list")
    assert "beta_x" in {f["name"] for f in listed["data"]}
    assert set(ok(mode, "rollout", "report")) >= {"flags", "sources", "mismatches"}


def test_an_experiment_from_create_to_promotion(mode: list[str], tmp_path: Path) -> None:
    config: dict[str, Any] = read_json("router-defaults.json")
    cheap = {
        **config,
        "tierWeights": {
            c: {"cheap": 1.0, "mid": 0.0, "premium": 0.0} for c in ("simple", "moderate", "complex")
        },
    }
    spec = {
        "name": "tiers",
        "variants": [
            {"name": "control", "weight": 50, "config": config},
            {"name": "cheap", "weight": 50, "config": cheap},
        ],
    }
    file = tmp_path / "experiment.json"
    file.write_text(json.dumps(spec))
    assert ok(mode, "experiments", "create", str(file))["status"] == "running"
    assert ok(mode, "experiments", "list")["count"] == 1
    assert ok(mode, "experiments", "show", "tiers")["name"] == "tiers"
    report = ok(mode, "experiments", "report", "tiers")
    assert [v["variant"] for v in report["variants"]] == ["control", "cheap"]
    ended = ok(mode, "experiments", "end", "tiers", "--promote", "cheap", "--reason", "cheaper")
    assert ended["status"] == "ended" and ended["routerConfig"]["version"] == 2
    code, _, stderr = run(mode, "experiments", "end", "tiers", "--discard")
    assert code == 1 and "already ended" in stderr


def test_router_set_and_profile(mode: list[str]) -> None:
    config = ok(mode, "router", "set", "routerSettings.maxRetries=4", "--reason", "flaky host")
    assert config["routerSettings"]["maxRetries"] == 4 and config["version"] == 2
    code, _, stderr = run(mode, "router", "set", "costTiers.cheapThreshold=-1")
    assert code == 1 and "costTiers.cheapThreshold" in stderr
    before = ok(mode[:2], "router", "profiles")  # a read: straight from the database
    gpt = next(p for p in before["data"] if p["modelId"] == "openai:gpt-5")
    profile = ok(
        mode,
        "router",
        "profile",
        "openai:gpt-5",
        "--set",
        "coding=91",
        "--set",
        "quality=77",
        "--reason",
        "new evals",
    )
    assert profile["categoryScores"]["coding"] == 91 and profile["qualityScore"] == 77
    assert profile["version"] == gpt["version"] + 1
    others = {k: v for k, v in profile["categoryScores"].items() if k != "coding"}
    assert others == {k: v for k, v in gpt["categoryScores"].items() if k != "coding"}
    code, _, stderr = run(mode, "router", "profile", "openai:gpt-5", "--set", "coding=101")
    assert code == 1 and "coding" in stderr


def test_users_are_managed_the_same_way(mode: list[str]) -> None:
    base = ("users", "create", "--username", "ana", "--role", "editor", "--password-stdin")
    code, stdout, stderr = _with_input(mode, "a long password\n", *base, "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["role"] == "editor"
    assert ok(mode, "users", "set-role", "ana", "viewer")["role"] == "viewer"
    assert ok(mode, "users", "disable", "ana", "--reason", "left")["disabled"] is True
    assert ok(mode, "users", "enable", "ana")["disabled"] is False
    code, _, stderr = _with_input(
        mode, "another password\n", "users", "set-password", "ana", "--password-stdin"
    )
    assert code == 0, stderr
    assert [u["username"] for u in ok(mode, "users", "list")["data"]] == ["ana"]
    code, _, stderr = run(mode, "users", "set-role", "nobody", "admin")
    assert code == 1 and "nobody" in stderr


def _with_input(mode: list[str], text: str, *args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from modelplane.cli import app

    if "--server-args" in mode:
        argv = [*mode[:2], *args, "--server", mode[3], "--token", mode[4]]
    else:
        argv = [*mode, *args]
    result = CliRunner().invoke(app, argv, input=text)
    return result.exit_code, result.stdout, result.stderr


def test_rollbacks_providers_and_usage(mode: list[str], tmp_path: Path) -> None:
    ok(mode, "router", "set", "routerSettings.maxRetries=5")
    back = ok(mode, "router", "rollback", "--to", "1", "--reason", "undo")
    assert back["version"] == 3 and back["routerSettings"]["maxRetries"] != 5
    ok(mode, "router", "profile", "openai:gpt-5", "--set", "coding=12")
    restored = ok(mode, "router", "profile-rollback", "openai:gpt-5", "--to", "1")
    assert restored["categoryScores"]["coding"] != 12
    assert ok(mode, "providers", "create", "--id", "acme", "--name", "Acme AI")["id"] == "acme"
    code, _, stderr = run(mode, "providers", "create", "--id", "acme", "--name", "Again")
    assert code == 1 and "acme" in stderr
    event = {
        "modelId": "openai:gpt-5",
        "feature": "chat",
        "inputTokens": 1000,
        "outputTokens": 10,
        "latencyMs": 5,
    }
    file = tmp_path / "usage.json"
    file.write_text(json.dumps({"events": [event, event]}))
    assert ok(mode, "usage", "record", str(file))["accepted"] == 2


def test_retire_and_bulk_status_the_same_way(mode: list[str]) -> None:
    chosen = ["openai:gpt-5-nano", "openai:gpt-5.1"]
    bulk = ok(mode, "models", "bulk-status", *chosen, "--status", "deprecated", "--reason", "tidy")
    assert sorted(c["id"] for c in bulk["changed"]) == chosen and bulk["status"] == "deprecated"
    code, _, stderr = run(
        mode,
        "models",
        "bulk-status",
        "openai:gpt-5-mini",
        "--status",
        "deprecated",
        "--reason",
        "x",
    )
    assert code == 1 and "openai:gpt-5-mini" in stderr and "fallback" in stderr
    retired = ok(mode, "models", "retire", "openai:gpt-5", "--reason", "switched off")
    assert (retired["modelId"], retired["reason"]) == ("openai:gpt-5", "switched off")
    code, _, stderr = run(mode, "models", "retire", "openai:gpt-5", "--reason", "again")
    assert code == 1 and "retired" in stderr
    history = ok(mode, "models", "history", "openai:gpt-5")
    assert history["data"][0]["changeType"] == "retired"


def test_replay_gives_the_same_report_from_the_database_and_from_a_server(
    mode: list[str], tmp_path: Path
) -> None:
    prompts = tmp_path / "prompts.jsonl"
    rows = [{"text": "hi there"}, {"text": "Prove that there are infinitely many primes."}]
    prompts.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config: dict[str, Any] = read_json("router-defaults.json")
    config["routerSettings"]["selectionStrategy"] = "quality"
    file = tmp_path / "quality.json"
    file.write_text(json.dumps(config))
    report = ok(mode, "router", "replay", str(prompts), "--config", str(file))
    assert report["prompts"] == 2
    assert [c["label"] for c in report["configs"]][1] == str(file)
    assert report["configs"][0]["label"].startswith("live (v")
    assert [c["strategy"] for c in report["configs"]] == ["weighted-random", "quality"]
    assert sum(report["configs"][1]["tierMix"].values()) == 2
    config["costTiers"] = "cheap"
    file.write_text(json.dumps(config))
    code, _, stderr = run(mode, "router", "replay", str(prompts), "--config", str(file))
    assert code == 1 and f"{file}: costTiers" in " ".join(stderr.split())
