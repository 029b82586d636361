"""Reads and routing go on while the database is unreachable; recovery needs no restart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.errors import DatabaseUnavailable
from modelplane.services.models import update_model
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings
from modelplane.store.unit_of_work import UnitOfWork
from tests.support import TcpProxy, wait_until

MODEL = "google:gemini-2.5-pro"


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    relay = TcpProxy("127.0.0.1", 5432).start()
    yield relay
    relay.cut()


@pytest.fixture
def client_via_proxy(pg_url: str, proxy: TcpProxy) -> Iterator[tuple[Runtime, TestClient]]:
    url = make_url(pg_url).set(port=proxy.port).render_as_string(hide_password=False)
    runtime = Runtime(Settings(database_url=url, environment="test"), live_reads=True)
    runtime.live._safety_interval = 0.2  # notice a cut quickly in the test
    with TestClient(create_app(runtime)) as client:
        yield runtime, client
    runtime.close()


def test_reads_continue_from_the_last_snapshot_and_writes_get_503_while_the_database_is_down(
    client_via_proxy: tuple[Runtime, TestClient], proxy: TcpProxy, pg_engine: Engine
) -> None:
    runtime, client = client_via_proxy
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="app", role="viewer"), "ops")
        uow.commit()
    assert client.get("/healthz").json()["status"] == "ok"

    proxy.cut()
    wait_until(lambda: client.get("/healthz").json()["status"] == "degraded", timeout=15)
    health = client.get("/healthz").json()
    assert health["snapshot"]["source"] == "db"
    assert health["snapshot"]["ageSeconds"] >= 0
    assert health["database"].startswith("cannot reach database postgresql+psycopg://")

    assert client.get(f"/api/v1/models/{MODEL}").json()["pricing"]["input"] == 1.25
    assert client.get("/v1/models").status_code == 200
    body = {"text": "write a haiku about the sea"}
    routed = client.post("/api/v1/route", json=body, headers={"Authorization": f"Bearer {token}"})
    assert routed.status_code == 200, routed.text  # routing goes on, token checked in memory
    assert routed.json()["isFallback"] is False
    assert client.post("/api/v1/route", json=body).status_code == 401
    with pytest.raises(DatabaseUnavailable), runtime.unit_of_work():
        pass

    # Meanwhile another process writes to the database directly.
    with UnitOfWork(pg_engine) as uow:
        update_model(uow, MODEL, {"pricing": {"input": 2}}, "elsewhere", None)
        uow.commit()

    proxy.restore()
    wait_until(lambda: client.get("/healthz").json()["status"] == "ok", timeout=20)
    wait_until(lambda: client.get(f"/api/v1/models/{MODEL}").json()["pricing"]["input"] == 2, 10)


def test_a_process_that_starts_without_its_database_serves_the_static_tables() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://u:p@127.0.0.1:1/none", environment="test"
    )
    runtime = Runtime(settings, live_reads=True)
    with TestClient(create_app(runtime)) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "degraded"
        assert health["snapshot"]["source"] == "static"
        assert health["sources"] == {"models": "static", "routing": "static"}
        assert client.get("/api/v1/models/openai:gpt-5").json()["pricing"]["input"] == 2.5
    runtime.close()
