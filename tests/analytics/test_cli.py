"""``modelplane stats …`` and ``modelplane usage …``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app

runner = CliRunner()
WINDOW = ["--since", "2026-03-01", "--until", "2026-03-03"]


def _run(runtime: Runtime, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", runtime.settings.database_url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_stats_top_prints_an_aligned_table_and_json(dataset: Runtime) -> None:
    lines = _run(dataset, "stats", "top", "--by", "cost", *WINDOW).splitlines()
    assert lines[0].split() == ["model", "provider", "requests", "tokens", "cost"]
    assert lines[1].split() == ["openai:gpt-5", "openai", "3", "5520", "$0.022875"]
    data = json.loads(_run(dataset, "stats", "top", "--json", "--provider", "anthropic", *WINDOW))
    assert [(r["model"], r["costUsd"]) for r in data["data"]] == [
        ("anthropic:claude-haiku-4.5", "0.0016")
    ]


def test_stats_daily_breakdown_latency_and_router(dataset: Runtime) -> None:
    daily = json.loads(_run(dataset, "stats", "daily", "--json", *WINDOW))
    assert [d["costUsd"] for d in daily["data"]] == ["0.02295", "0.00511", "0.000125"]
    features = _run(dataset, "stats", "breakdown", "--by", "feature", *WINDOW)
    assert [line.split()[0] for line in features.splitlines()[1:]] == [
        "chat",
        "auto_router",
        "title",
    ]
    latency = _run(dataset, "stats", "latency", "--model", "openai:gpt-5", *WINDOW)
    assert latency.splitlines()[1].split() == [
        "openai:gpt-5",
        "3",
        "0.0%",
        "433",
        "200",
        "1000",
        "1000",
        "1000",
    ]
    router = _run(dataset, "stats", "router", *WINDOW)
    assert router.splitlines()[0] == (
        "6 decisions · exploration 33.3% · sticky 16.7% · fallback 1 · errors 1"
    )


def test_bad_options_fail_with_one_line(dataset: Runtime) -> None:
    result = runner.invoke(
        app, ["--database-url", dataset.settings.database_url, "stats", "daily", "--since", "x"]
    )
    assert result.exit_code == 1
    assert "--since" in result.output


def test_usage_prune_and_rollup(dataset: Runtime) -> None:
    # Every event of the dataset is from March 2026; the machine's clock is later.
    assert "would delete" in _run(dataset, "usage", "prune", "--dry-run", "--older-than-days", "1")
    assert _run(dataset, "usage", "rollup").startswith("rolled up")
    assert _run(dataset, "usage", "rollup").strip() == "nothing to roll up"
    before = json.loads(_run(dataset, "stats", "daily", "--json", *WINDOW))
    assert _run(dataset, "usage", "prune", "--older-than-days", "1").startswith("deleted 6 ")
    assert json.loads(_run(dataset, "stats", "daily", "--json", *WINDOW)) == before
