"""Guardrails, schedules and the guard, feedback, dated prices, replacement, webhooks and
sync from the CLI: the same commands and the same JSON against the database and against a
running server (started by the ``server`` fixture, a real uvicorn on a local port)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from modelplane.bootstrap import Runtime
from modelplane.domain.flags import ROUTER_CONFIG_SOURCE
from modelplane.services.router_data import get_router_config
from modelplane.settings import Settings
from modelplane.store.static import read_json
from tests.cli.test_manage_cli import mode, run, server

__all__ = ["mode", "server"]  # fixtures, used by name

LITELLM = Path(__file__).parents[1] / "sync" / "fixtures" / "litellm.json"
RAILS = [{"metric": "error_rate", "comparison": "plus", "threshold": 0.02, "minSample": 50}]


@pytest.fixture
def runtime(
    seeded: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    """The server's runtime, and the CLI's through the environment: webhooks may name this
    machine (the subscriptions here are never delivered to)."""
    monkeypatch.setenv("MODELPLANE_WEBHOOKS_ALLOW_PRIVATE", "true")
    settings = Settings(database_url=database_url, environment="test", webhooks_allow_private=True)
    rt = Runtime(settings)
    yield rt
    rt.close()


def ok(mode: list[str], *args: str) -> Any:
    code, stdout, stderr = run(mode, *args, "--json")
    assert code == 0, stderr
    return json.loads(stdout)


def test_guardrails_schedule_pause_and_the_guard(mode: list[str], tmp_path: Path) -> None:
    rails = tmp_path / "rails.json"
    rails.write_text(json.dumps(RAILS))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"metric": "errors", "comparison": "plus", "threshold": 0.02}]))
    flag = ROUTER_CONFIG_SOURCE
    code, _, stderr = run(mode, "flags", "guardrails", flag, str(bad))
    assert code == 1 and "guardrails[0].metric" in stderr and stderr.count("\n") == 1
    guarded = ok(mode, "flags", "guardrails", flag, str(rails), "--reason", "safety")
    assert guarded["name"] == flag and len(guarded["guardrails"]) == 1
    ok(mode, "flags", "set", flag, "--percentage", "0")
    scheduled = ok(mode, "flags", "schedule", flag, "--steps", "5,25,100", "--dwell", "0")
    assert scheduled["schedule"]["steps"] == [5, 25, 100]
    ran = ok(mode, "guard", "run")
    assert [(a["name"], a["action"]) for a in ran["actions"]] == [(flag, "advanced")]
    code, stdout, stderr = run(mode, "flags", "pause", flag, "--reason", "hold")
    assert code == 0 and "paused at 5%" in stdout, stderr
    assert ok(mode, "guard", "run") == {"actions": [], "count": 0}
    code, stdout, _ = run(mode, "flags", "resume", flag)
    assert code == 0 and "running at 5%" in stdout
    status = ok(mode, "flags", "guard", flag)
    assert status["checks"][0]["status"] == "insufficient"
    events = ok(mode, "guard", "events")
    assert events["count"] == 1 and events["data"][0]["action"] == "advanced"
    history = ok(mode, "flags", "history", flag)
    assert "hold" in [e["reason"] for e in history["data"]]


def test_experiment_guardrails_and_feedback(mode: list[str], tmp_path: Path) -> None:
    config = read_json("router-defaults.json")
    variants = [{"name": n, "weight": 50, "config": config} for n in ("a", "b")]
    spec = tmp_path / "experiment.json"
    spec.write_text(json.dumps({"name": "e1", "variants": variants}))
    ok(mode, "experiments", "create", str(spec))
    rails = tmp_path / "rails.json"
    rails.write_text(json.dumps(RAILS))
    experiment = ok(mode, "experiments", "guardrails", "e1", str(rails))
    assert experiment["name"] == "e1" and experiment["guardrails"][0]["metric"] == "error_rate"
    lines = tmp_path / "feedback.jsonl"
    event = {"eventId": "x1", "decisionId": "gone", "signal": "thumbs", "value": 1}
    lines.write_text(json.dumps(event) + "\n")
    assert ok(mode, "feedback", str(lines)) == {"accepted": 1, "duplicates": 0, "orphaned": 1}
    assert ok(mode, "feedback", str(lines))["duplicates"] == 1
    lines.write_text(json.dumps({**event, "eventId": "x2", "value": 9}) + "\n")
    code, _, stderr = run(mode, "feedback", str(lines))
    assert code == 1 and "value" in stderr


def test_dated_prices_and_replacement(mode: list[str], runtime: Runtime) -> None:
    model = "openai:gpt-5"
    scheduled = ok(
        mode,
        "models",
        "update",
        model,
        "--set",
        "pricing.input=9",
        "--effective-from",
        "2031-01-01T00:00:00Z",
    )
    assert scheduled["effectiveFrom"] == "2031-01-01T00:00:00Z"
    later = ok(mode, "models", "price", model, "--at", "2031-06-01T00:00:00Z", "--timeline")
    assert later["pricing"]["input"] == 9 and later["effectiveFrom"] == "2031-01-01T00:00:00Z"
    assert [e["state"] for e in later["timeline"]][-1] == "scheduled"
    assert ok(mode, "models", "price", model)["pricing"]["input"] != 9
    code, _, stderr = run(mode, "models", "price", "nobody:none")
    assert code == 1 and "nobody:none" in stderr

    old = get_router_config(runtime.unit_of_work).doc().router_settings.fallback_model_id
    preview = ok(mode, "models", "replace", old, "openai:gpt-5.1", "--dry-run")
    assert preview["dryRun"] is True
    ok(mode, "models", "replace", old, "openai:gpt-5.1", "--reason", "successor")
    assert ok(mode[:2], "models", "show", old)["successorId"] == "openai:gpt-5.1"


def test_webhook_subscriptions(mode: list[str], server: str) -> None:
    url = f"{server}/hook"  # this machine; nothing here is delivered
    created = ok(mode, "webhooks", "create", url, "--secret", "s" * 20, "-e", "model.updated")
    assert created["events"] == ["model.updated"] and "s" * 20 not in json.dumps(created)
    assert [h["id"] for h in ok(mode, "webhooks", "list")] == [created["id"]]
    updated = ok(mode, "webhooks", "update", str(created["id"]), "--paused")
    assert updated["active"] is False
    assert ok(mode, "webhooks", "deliveries") == {"data": [], "total": 0}
    assert ok(mode, "webhooks", "deliveries", str(created["id"]))["total"] == 0
    code, _, stderr = run(mode, "webhooks", "replay", "999")
    assert code == 1 and "999" in stderr
    code, _, stderr = run(mode, "webhooks", "create", url, "--secret", "short")
    assert code == 1 and "secret" in stderr
    assert ok(mode, "webhooks", "delete", str(created["id"]))["id"] == created["id"]
    assert ok(mode, "webhooks", "list") == []


def test_sync_from_a_local_file(mode: list[str]) -> None:
    preview = ok(mode, "sync", "litellm", str(LITELLM), "--dry-run")
    assert preview["dryRun"] is True and preview["counts"]["created"] == 2
    applied = ok(mode, "sync", "litellm", str(LITELLM), "--reason", "first sync")
    assert applied["counts"]["created"] == 2 and applied["dryRun"] is False
    assert ok(mode, "sync", "litellm", str(LITELLM))["changeCount"] == 0
    runs = ok(mode, "sync", "runs")
    assert runs["latest"][0]["source"] == "litellm"
    assert [r["counts"]["created"] for r in runs["data"]] == [0, 2]
    code, _, stderr = run(mode, "sync", "modelsdev", "/nonexistent/api.json")
    assert code == 1 and "cannot read /nonexistent/api.json" in stderr
    assert stderr.strip().count("\n") == 0


@pytest.fixture
def catalogue_url() -> Iterator[str]:
    """The LiteLLM fixture served over HTTP from this machine, as a public catalogue is."""
    body = LITELLM.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/litellm.json"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_sync_from_a_url_is_fetched_where_it_runs(mode: list[str], catalogue_url: str) -> None:
    report = ok(mode, "sync", "litellm", catalogue_url, "--only", "openai:gpt-4o")
    assert [c["id"] for c in report["created"]] == ["openai:gpt-4o"]
    assert ok(mode, "sync", "runs")["latest"][0]["location"] == catalogue_url
