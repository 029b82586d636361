"""``modelplane sync``: the issue's "done when", through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "litellm.json"


def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--database-url", database_url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_sync_then_show_then_nothing_to_change_then_one_edit(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    code, out, err = cli(database_url, "sync", "litellm", str(FIXTURE))
    assert code == 0, err
    assert "created 2" in out and "unmapped upstream fields: max_tokens (1)" in out
    code, out, _ = cli(database_url, "models", "show", "openai:gpt-4o", "--json")
    assert code == 0
    assert json.loads(out)["pricing"] == {"input": 2.5, "output": 10, "cached": 1.25}
    code, out, _ = cli(database_url, "sync", "litellm", str(FIXTURE), "--json")
    assert json.loads(out)["changeCount"] == 0
    edited = tmp_path / "prices.json"
    edited.write_text(
        FIXTURE.read_text().replace(
            '"output_cost_per_token": 1e-05,\n    "cache_read_input_token_cost": 1.25e-06',
            '"output_cost_per_token": 1.1e-05,\n    "cache_read_input_token_cost": 1.25e-06',
        )
    )
    code, out, _ = cli(database_url, "sync", "litellm", str(edited), "--dry-run", "--json")
    report = json.loads(out)
    assert report["updated"] == [
        {"id": "openai:gpt-4o", "changes": [{"field": "pricing.output", "old": "10", "new": "11"}]}
    ]
    code, out, _ = cli(database_url, "sync", "runs", "--json")
    runs = json.loads(out)
    assert [r["counts"]["created"] for r in runs["data"]] == [0, 2], "dry runs are not logged"
    assert runs["latest"][0]["source"] == "litellm" and not runs["latest"][0]["applied"]


def test_a_missing_file_is_one_line(runtime: Runtime, database_url: str) -> None:
    code, _, err = cli(database_url, "sync", "modelsdev", "/nonexistent/api.json")
    assert code == 1
    assert err.strip().count("\n") == 0 and "cannot read /nonexistent/api.json" in err
