"""Propagation between real server processes sharing one PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from modelplane.services.models import update_model
from modelplane.store.unit_of_work import UnitOfWork
from tests.support import ServerProcess, wait_until

MODEL = "anthropic:claude-sonnet-4.5"


def test_every_process_converges_on_the_last_write_of_a_burst(
    pg_url: str, pg_engine: Engine, tmp_path: Path
) -> None:
    servers = [ServerProcess(pg_url, tmp_path) for _ in range(2)]
    try:
        last_sequence = 0
        for i in range(1, 31):  # a burst: 30 commits back to back
            with UnitOfWork(pg_engine) as uow:
                update_model(uow, MODEL, {"pricing": {"output": 100 + i}}, "burst", None)
                uow.commit()
            last_sequence = uow.last_sequence or 0
        for server in servers:

            def converged(s: ServerProcess = server) -> bool:
                output: object = s.get(f"/api/v1/models/{MODEL}").json()["pricing"]["output"]
                return output == 130

            wait_until(converged, timeout=10)
            response = server.get(f"/api/v1/models/{MODEL}")
            assert response.json()["version"] == 31
            assert int(response.headers["X-Modelplane-Sequence"]) == last_sequence
    finally:
        for server in servers:
            server.stop()


def test_a_process_started_later_sees_everything(
    pg_url: str, pg_engine: Engine, tmp_path: Path
) -> None:
    with UnitOfWork(pg_engine) as uow:
        update_model(uow, MODEL, {"contextWindow": 300000}, "early", None)
        uow.commit()
    server = ServerProcess(pg_url, tmp_path)
    try:
        assert server.get(f"/api/v1/models/{MODEL}").json()["contextWindow"] == 300000
    finally:
        server.stop()
