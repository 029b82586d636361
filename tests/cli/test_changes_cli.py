"""``modelplane changes``: a policy, a request, its approval by someone else, a schedule
and its run, against the database and against a running server."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app
from modelplane.services import experiments
from modelplane.services.router_data import router_config_history
from modelplane.store.static import read_json
from tests.cli.test_manage_cli import mode, run, server

__all__ = ["mode", "server"]  # fixtures, used by name


def ok(mode: list[str], *args: str) -> Any:
    code, stdout, stderr = run(mode, *args, "--json")
    assert code == 0, stderr
    return json.loads(stdout)


def test_policy_request_approval_schedule_and_run(mode: list[str]) -> None:
    policy = ok(mode, "changes", "policy", "set", "router_config", "--approvers", "1")
    assert (policy["approvers"], policy["role"]) == (1, "editor")
    code, _, stderr = run(mode, "router", "set", "routerSettings.maxRetries=4")
    assert code == 1 and "change request" in stderr
    created = ok(
        mode,
        "changes",
        "create",
        "--title",
        "retries",
        "--kind",
        "router_config",
        "--expected-version",
        "1",
        "--set",
        "routerSettings.maxRetries=4",
    )
    rid = str(created["id"])
    assert created["state"] == "pending"
    assert created["changes"][0]["diff"][0]["field"] == "routerSettings.maxRetries"
    code, _, stderr = run(mode, "changes", "approve", rid)
    assert code == 1 and "author" in stderr
    other = CliRunner().invoke(
        app,
        [*mode[:2], "changes", "approve", rid, "--json"],
        env={"MODELPLANE_AUTHOR": "cli:reviewer"},
    )
    assert other.exit_code == 0, other.stderr
    assert json.loads(other.stdout)["state"] == "approved"
    at = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = ok(mode, "changes", "schedule", rid, "--at", at.isoformat())
    assert scheduled["state"] == "scheduled"
    listed = ok(mode, "changes", "list", "--state", "scheduled")
    assert [r["id"] for r in listed["data"]] == [int(rid)]
    time.sleep(max((at - datetime.now(UTC)).total_seconds(), 0) + 0.2)
    # the server in server mode may have applied it already: either way, exactly once
    ran = ok(mode, "changes", "run-due")
    shown = ok(mode, "changes", "show", rid)
    assert shown["state"] == "applied"
    assert ran["applied"] in ([int(rid)], [])
    assert [e["action"] for e in shown["events"]].count("applied") == 1
    config = CliRunner().invoke(app, [*mode[:2], "router", "config", "--json"])
    assert json.loads(config.stdout)["routerSettings"]["maxRetries"] == 4
    assert ok(mode, "changes", "policy", "list")["data"][0]["kind"] == "model"


def test_an_emergency_override_writes_past_the_policy_and_says_so(
    mode: list[str], runtime: Runtime
) -> None:
    ok(mode, "changes", "policy", "set", "router_config", "--approvers", "1")
    code, _, stderr = run(mode, "router", "set", "routerSettings.maxRetries=6")
    assert code == 1 and "change request" in stderr
    tail = ["--server", mode[3], "--token", mode[4]] if "--server-args" in mode else []
    argv = [*mode[:2], "--emergency-override", "provider outage", "router", "set"]
    done = CliRunner().invoke(app, [*argv, "routerSettings.maxRetries=6", "--json", *tail])
    assert done.exit_code == 0, done.stderr
    entries, _ = router_config_history(runtime.unit_of_work)
    assert entries[0].reason == "emergency override: provider outage"
    code, _, stderr = run(mode, "router", "set", "routerSettings.maxRetries=7")
    assert code == 1 and "change request" in stderr  # the override was for that one only


def test_a_request_patches_an_experiment(mode: list[str], runtime: Runtime) -> None:
    config = read_json("router-defaults.json")
    spec = {"name": "tiers", "variants": [{"name": "control", "weight": 100, "config": config}]}
    experiments.create_experiment(runtime.unit_of_work, spec, "cli:someone")
    ok(mode, "changes", "policy", "set", "experiment", "--approvers", "1")
    created = ok(
        mode,
        "changes",
        "create",
        "--title",
        "describe it",
        "--kind",
        "experiment",
        "--id",
        "tiers",
        "--expected-version",
        "1",
        "--set",
        "description=one arm",
    )
    rid = str(created["id"])
    assert created["state"] == "pending"
    assert created["changes"][0]["diff"][0]["field"] == "description"
    other = CliRunner().invoke(
        app,
        [*mode[:2], "changes", "approve", rid, "--json"],
        env={"MODELPLANE_AUTHOR": "cli:reviewer"},
    )
    assert other.exit_code == 0, other.stderr
    assert ok(mode, "changes", "apply", rid)["state"] == "applied"
    now = experiments.get_experiment(runtime.unit_of_work, "tiers")
    assert (now.description, now.version) == ("one arm", 2)
