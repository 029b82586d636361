"""``GET /api/v1/router/quality-curve`` and ``modelplane router curve``: the shipped
premium-share vs quality curve read at the live ``premiumShare`` (the console's auto-router
page shows the same, ``tests/web/test_quality_curve_console.py``)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.cli import app
from modelplane.router.classification.difficulty import CURVE_PATH

H = dict[str, dict[str, str]]
SHIPPED = json.loads(CURVE_PATH.read_text(encoding="utf-8"))


def _at(share: float) -> list[float]:
    return [s["recovered"][SHIPPED["shares"].index(share)] for s in SHIPPED["sets"]]


def test_the_curve_is_read_at_the_live_premium_share(client: TestClient, headers: H) -> None:
    curve = client.get("/api/v1/router/quality-curve").json()  # a public read
    assert curve["premiumShare"] == 0.3
    assert [s["recoveredAtPremiumShare"] for s in curve["sets"]] == pytest.approx(_at(0.3))
    assert [s["name"] for s in curve["sets"]] == [s["name"] for s in SHIPPED["sets"]]
    assert all(s["recoveredAtPremiumShare"] > 0.3 for s in curve["sets"])  # beats a coin
    patched = client.patch(
        "/api/v1/router/config",
        json={"quality": {"premiumShare": 0.125}, "expectedVersion": 1, "reason": "frugal"},
        headers=headers["editor"],
    )
    assert patched.status_code == 200, patched.text
    curve = client.get("/api/v1/router/quality-curve").json()
    assert curve["premiumShare"] == 0.125
    # between the points at 10% and 15%, on the straight line joining them
    between = [(a + b) / 2 for a, b in zip(_at(0.1), _at(0.15), strict=True)]
    assert [s["recoveredAtPremiumShare"] for s in curve["sets"]] == pytest.approx(between, abs=1e-4)


def test_the_cli_prints_the_same_figures(seeded: Engine, database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--database-url", database_url, "router", "curve", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["recoveredAtPremiumShare"] for s in data["sets"]] == pytest.approx(_at(0.3))
    table = runner.invoke(app, ["--database-url", database_url, "router", "curve"])
    assert table.exit_code == 0, table.output
    header, *rows = table.stdout.splitlines()
    assert "recovered at 30% premium" in header
    assert rows[0].split()[-3:-1] == [f"{_at(0.3)[0]:.0%}", "30%"]
