"""Propagation you can see: every serving process heartbeats, and the fleet shows its lag."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.cli import app
from modelplane.domain.clock import utcnow
from modelplane.live.catalog import LiveCatalog
from modelplane.live.fleet import Heartbeat
from modelplane.services.fleet import fleet_status
from modelplane.services.models import update_model
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings
from modelplane.store.fleet import ProcessBeat, beat
from modelplane.store.repositories import ChangeLogRepository
from modelplane.store.unit_of_work import UnitOfWork, factory_for
from tests.support import ServerProcess, wait_until

MODEL = "anthropic:claude-sonnet-4.5"
FAST = {"MODELPLANE_HEARTBEAT_INTERVAL_MS": "200", "MODELPLANE_ENVIRONMENT": "test"}


def fleet_json(url: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["--database-url", url, "fleet", "--json"])
    assert result.exit_code == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_three_processes_are_listed_with_lag_zero_after_a_write(
    pg_url: str, pg_engine: Engine, tmp_path: Path
) -> None:
    servers: list[ServerProcess] = []
    try:
        for _ in range(3):  # one at a time, so that those started are stopped if one fails
            servers.append(ServerProcess(pg_url, tmp_path, **FAST))
        with UnitOfWork(pg_engine) as uow:
            _, token = create_token(uow, TokenSpec(name="ops", role="editor"), "test")
            uow.commit()
        wait_until(lambda: len(fleet_json(pg_url)["processes"]) == 3, timeout=30)  # type: ignore[arg-type]
        written = CliRunner().invoke(
            app,
            [
                "models",
                "update",
                MODEL,
                "--set",
                "contextWindow=333333",
                "--reason",
                "fleet",
                "--server",
                servers[0].url,
                "--token",
                token,
                "--json",
            ],
        )
        assert written.exit_code == 0, written.stderr
        with pg_engine.connect() as conn:
            sequence = ChangeLogRepository(conn).current()

        def all_current() -> dict[str, object] | None:
            status = fleet_json(pg_url)
            processes = status["processes"]
            assert isinstance(processes, list)
            ok = len(processes) == 3 and all(
                p["lagChanges"] == 0 and p["sequence"] == sequence for p in processes
            )
            return status if ok else None

        status = wait_until(all_current, timeout=30)
        assert status["sequence"] == sequence
        pids = {p["pid"] for p in status["processes"]}
        assert pids == {s.process.pid for s in servers}
        for p in status["processes"]:
            assert p["lagMs"] == 0 and not p["silent"] and not p["degraded"] and not p["behind"]
            assert set(p) >= {"host", "pid", "sequence", "lagChanges", "lagMs", "lastSeen"}
        api = servers[1].get("/api/v1/fleet", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200 and len(api.json()["processes"]) == 3
        assert servers[2].get("/healthz").json()["fleet"]["behind"] is False
    finally:
        for server in servers:
            server.stop()
    # a process that stops cleanly leaves the fleet
    assert fleet_json(pg_url)["processes"] == []


def test_a_process_that_stays_behind_is_flagged_and_a_silent_one_marked(
    seeded: Engine, database_url: str
) -> None:
    live = LiveCatalog(seeded)  # never started: it keeps serving what it first loaded
    live.refresh()
    heartbeat = Heartbeat(seeded, live, interval=60, behind_after=0.05)
    try:
        heartbeat.beat_once()
        assert not heartbeat.behind
        with UnitOfWork(seeded) as uow:
            update_model(uow, MODEL, {"contextWindow": 123456}, "ops", None)
            uow.commit()
        heartbeat.beat_once()
        time.sleep(0.1)
        heartbeat.beat_once()
        assert heartbeat.behind and heartbeat.lag_changes == 1
        settings = Settings(database_url=database_url, heartbeat_interval_ms=1000)
        long_ago = utcnow() - timedelta(seconds=30)
        beat(
            seeded,
            ProcessBeat("gone", "elsewhere", 1, "0", long_ago, 0, None, long_ago, False, False),
        )
        status = fleet_status(factory_for(seeded), settings)
        mine = next(p for p in status["processes"] if p["id"] == heartbeat.id)
        assert mine["behind"] and mine["lagChanges"] == 1 and mine["lagMs"] > 0
        gone = next(p for p in status["processes"] if p["id"] == "gone")
        assert gone["silent"] and not mine["silent"]
    finally:
        heartbeat.stop()
