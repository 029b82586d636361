"""The CLI face of feedback, reports, guardrails, schedules and the guard."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app
from modelplane.domain.flags import ROUTER_CONFIG_SOURCE
from modelplane.services.experiments import create_experiment
from modelplane.services.flags import get_flag
from modelplane.store.static import read_json

runner = CliRunner()


def cli(runtime: Runtime, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["--database-url", runtime.settings.database_url, *args])
    assert result.exit_code == code, result.output
    return result.stdout + result.stderr


def test_guardrails_schedule_pause_and_guard_run(live: Runtime, tmp_path: Path) -> None:
    rails = tmp_path / "rails.json"
    rails.write_text(
        json.dumps(
            [{"metric": "error_rate", "comparison": "plus", "threshold": 0.02, "minSample": 50}]
        )
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"metric": "errors", "comparison": "plus", "threshold": 0.02}]))
    assert "guardrails[0].metric" in cli(
        live, "flags", "guardrails", ROUTER_CONFIG_SOURCE, str(bad), code=1
    )
    assert "1 guardrails" in cli(live, "flags", "guardrails", ROUTER_CONFIG_SOURCE, str(rails))
    cli(live, "flags", "set", ROUTER_CONFIG_SOURCE, "--percentage", "0")
    cli(live, "flags", "schedule", ROUTER_CONFIG_SOURCE, "--steps", "5,25,100", "--dwell", "0")
    assert "advanced" in cli(live, "guard", "run")
    assert get_flag(live.unit_of_work, ROUTER_CONFIG_SOURCE).percentage == 5
    assert "paused at 5%" in cli(live, "flags", "pause", ROUTER_CONFIG_SOURCE)
    assert "nothing to do" in cli(live, "guard", "run")
    assert "running at 5%" in cli(live, "flags", "resume", ROUTER_CONFIG_SOURCE)
    status = json.loads(cli(live, "flags", "guard", ROUTER_CONFIG_SOURCE, "--json"))
    assert status["checks"][0]["status"] == "insufficient"
    events = json.loads(cli(live, "guard", "events", "--json"))
    assert events["data"][0]["action"] == "advanced"


def test_feedback_import_and_the_report_as_json(live: Runtime, tmp_path: Path) -> None:
    config = read_json("router-defaults.json")
    create_experiment(
        live.unit_of_work,
        {
            "name": "e1",
            "variants": [
                {"name": "a", "weight": 50, "config": config},
                {"name": "b", "weight": 50, "config": config},
            ],
        },
        "ops",
    )
    lines = tmp_path / "feedback.jsonl"
    lines.write_text(
        json.dumps({"eventId": "x1", "decisionId": "gone", "signal": "thumbs", "value": 1}) + "\n"
    )
    assert "1 recorded, 0 already held, 1 for decisions not in the log" in cli(
        live, "feedback", str(lines)
    )
    report = json.loads(cli(live, "experiments", "report", "e1", "--json"))
    assert set(report["arms"]) == {"a", "b"}
    assert report["arms"]["a"]["requests"] == 0
    assert set(report["verdicts"]) == {"cost_per_request", "error_rate", "latency_p95", "feedback"}
    assert "pValue" in report["srm"] and report["orphanedFeedback"] == 1
    assert "keep running" in cli(live, "experiments", "report", "e1")
