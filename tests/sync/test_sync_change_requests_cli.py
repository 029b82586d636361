"""``modelplane sync … --change-request``: under a sync policy an apply is refused naming
how to ask instead, the request holds the diff, someone else approves it and it applies;
against the database and against a running server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from modelplane.cli import app
from tests.cli.test_manage_cli import mode, run, server

__all__ = ["mode", "server"]  # fixtures, used by name

FIXTURE = str(Path(__file__).parent / "fixtures" / "litellm.json")


def ok(mode: list[str], *args: str) -> Any:
    code, stdout, stderr = run(mode, *args, "--json")
    assert code == 0, stderr
    return json.loads(stdout)


def test_a_sync_request_from_the_command_line(mode: list[str]) -> None:
    ok(mode, "changes", "policy", "set", "sync", "--approvers", "1")
    code, _, stderr = run(mode, "sync", "litellm", FIXTURE)
    assert code == 1 and "--change-request" in stderr and "\n" not in stderr.strip()
    code, _, stderr = run(mode, "sync", "litellm", FIXTURE, "--change-request")
    assert code == 1 and "title" in stderr
    code, stdout, stderr = run(
        mode, "sync", "litellm", FIXTURE, "--change-request", "--title", "weekly prices"
    )
    assert code == 0, stderr
    assert "would change" in stdout and "[pending]" in stdout and "pricing.input" in stdout
    listed = ok(mode, "changes", "list", "--state", "pending")
    (request,) = listed["data"]
    assert request["title"] == "weekly prices" and request["approvalsNeeded"] == 1
    rid = str(request["id"])
    other = CliRunner().invoke(
        app,
        [*mode[:2], "changes", "approve", rid, "--json"],
        env={"MODELPLANE_AUTHOR": "cli:reviewer"},
    )
    assert other.exit_code == 0, other.stderr
    applied = ok(mode, "changes", "apply", rid)
    assert applied["state"] == "applied"
    shown = CliRunner().invoke(app, [*mode[:2], "models", "show", "openai:gpt-4o", "--json"])
    assert json.loads(shown.stdout)["pricing"]["input"] == 2.5
    history = ok(mode, "models", "history", "openai:gpt-4o")
    assert history["data"][0]["reason"] == f"change request #{rid}: weekly prices"
    assert history["data"][0]["changeType"] == "synced"


def test_an_emergency_override_syncs_past_the_policy(mode: list[str]) -> None:
    ok(mode, "changes", "policy", "set", "sync", "--approvers", "1")
    tail = ["--server", mode[3], "--token", mode[4]] if "--server-args" in mode else []
    argv = [*mode[:2], "--emergency-override", "prices wrong", "sync", "litellm", FIXTURE]
    done = CliRunner().invoke(app, [*argv, "--json", *tail])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["applied"]
    history = ok(mode, "models", "history", "openai:gpt-4o")
    assert history["data"][0]["reason"] == "emergency override: prices wrong"


def test_a_providers_own_policy_from_the_command_line(mode: list[str]) -> None:
    policy = ok(mode, "changes", "policy", "set", "model:openai", "--approvers", "1")
    assert policy["kind"] == "model:openai"
    listed = ok(mode, "changes", "policy", "list")
    assert [p["kind"] for p in listed["data"]][-1] == "model:openai"
    code, _, stderr = run(mode, "models", "update", "openai:gpt-5", "--set", "description=x")
    assert code == 1 and "model:openai" in stderr and "change request" in stderr
    code, _, _ = run(mode, "models", "update", "mistral:mistral-large-3", "--set", "description=x")
    assert code == 0
    code, _, stderr = run(mode, "changes", "policy", "set", "model:opnai", "--approvers", "1")
    assert code == 1 and "kind" in stderr and "openai" in stderr
