"""``modelplane models update ID --set pricing.input=3 --effective-from T`` and
``modelplane models price ID --at T``."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.cli import app

runner = CliRunner()
MODEL = "openai:gpt-5"


def run(database_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--database-url", database_url, "models", *args])
    return result.exit_code, result.output


def test_a_price_is_scheduled_and_asked_for_at_any_moment(
    seeded: Engine, database_url: str
) -> None:
    code, before = run(database_url, "price", MODEL, "--json")
    assert code == 0, before
    old = json.loads(before)["pricing"]
    code, output = run(
        database_url,
        "update",
        MODEL,
        "--set",
        "pricing.input=3",
        "--effective-from",
        "2027-01-01T00:00:00Z",
        "--reason",
        "new year",
    )
    assert code == 0, output
    assert "scheduled from 2027-01-01T00:00:00Z" in output

    code, output = run(database_url, "price", MODEL, "--at", "2027-02-01T00:00:00Z", "--json")
    assert code == 0, output
    later = json.loads(output)
    assert later["pricing"]["input"] == 3
    assert later["pricing"]["output"] == old["output"]
    assert later["effectiveFrom"] == "2027-01-01T00:00:00Z"
    code, output = run(database_url, "price", MODEL, "--at", "2026-12-31T23:00:00Z", "--json")
    assert json.loads(output)["pricing"] == old
    code, output = run(database_url, "price", MODEL, "--timeline")
    assert code == 0, output
    assert "scheduled" in output and "2027-01-01T00:00:00Z" in output


def test_bad_times_and_other_fields_are_refused_in_one_line(
    seeded: Engine, database_url: str
) -> None:
    code, output = run(database_url, "price", MODEL, "--at", "tomorrow")
    assert code == 1
    assert "not an ISO 8601 time" in output
    code, output = run(
        database_url, "update", MODEL, "--set", "name=x", "--effective-from", "2027-01-01T00:00:00Z"
    )
    assert code == 1
    assert "prices only" in output
    code, output = run(
        database_url, "update", MODEL, "--set", "pricing.input=1", "--effective-from", "2027-01-01"
    )
    assert code == 1
    assert "time zone" in output
