"""Every class of database error becomes a domain error, and a silent database is noticed
by a deadline rather than waited for (PostgreSQL: these are its limits)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.errors import DatabaseUnavailable, InvalidInput
from modelplane.settings import Settings
from modelplane.store.database import create_db_engine
from modelplane.store.liveness import Timeouts, liveness_of
from modelplane.store.unit_of_work import UnitOfWork, translate_db_errors
from tests.support import TcpProxy

MODEL = "google:gemini-2.5-pro"

# The limits, and the relay in front of the server, are PostgreSQL's.
pytestmark = pytest.mark.backends("postgresql")


@pytest.fixture
def bounded(seeded: Engine, database_url: str) -> Iterator[Engine]:
    timeouts = Timeouts(statement=0.5, lock=0.3, pool=0.3)
    engine = create_db_engine(database_url, timeouts, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_value_the_database_refuses_is_invalid_input(bounded: Engine) -> None:
    with (
        pytest.raises(InvalidInput) as caught,
        translate_db_errors(bounded),
        bounded.connect() as conn,
    ):
        conn.execute(text("SELECT 1 / 0"))
    assert "the database refused a value: division by zero" in str(caught.value)


def test_a_statement_over_its_timeout_is_unavailable(bounded: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable, match="statement timeout"), UnitOfWork(bounded) as uow:
        uow.connection.execute(text("SELECT pg_sleep(3)"))
    assert time.monotonic() - started < 2


def test_a_lock_held_too_long_is_unavailable(bounded: Engine, seeded: Engine) -> None:
    with seeded.connect() as holder, holder.begin():
        holder.execute(text("SELECT 1 FROM models WHERE id = :id FOR UPDATE"), {"id": MODEL})
        with pytest.raises(DatabaseUnavailable, match="lock timeout"), UnitOfWork(bounded) as uow:
            uow.connection.execute(
                text("UPDATE models SET name = name WHERE id = :id"), {"id": MODEL}
            )


def test_no_free_pooled_connection_in_time_is_unavailable(bounded: Engine) -> None:
    with bounded.connect():  # the pool's only connection
        started = time.monotonic()
        with (
            pytest.raises(DatabaseUnavailable, match="no database connection free"),
            UnitOfWork(bounded),
        ):
            pass
        assert time.monotonic() - started < 2


@pytest.fixture
def relay() -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5432).start()
    yield proxy
    proxy.thaw()
    proxy.cut()


def test_a_silent_database_misses_the_deadline_and_later_writes_fail_at_once(
    seeded: Engine, database_url: str, relay: TcpProxy
) -> None:
    url = make_url(database_url).set(port=relay.port).render_as_string(hide_password=False)
    engine = create_db_engine(url, Timeouts(statement=0.5))
    try:
        with UnitOfWork(engine) as uow:
            uow.connection.execute(text("SELECT 1"))
        relay.freeze()
        started = time.monotonic()
        with (
            pytest.raises(DatabaseUnavailable, match=r"no answer .* within 1s"),
            UnitOfWork(engine) as uow,
        ):
            uow.connection.execute(text("SELECT 1"))
        assert time.monotonic() - started < 3
        started = time.monotonic()  # marked: the next one does not wait
        with pytest.raises(DatabaseUnavailable, match="unreachable"), UnitOfWork(engine):
            pass
        assert time.monotonic() - started < 0.2
        relay.thaw()
        time.sleep(2.1)  # no watcher here: the mark lapses after its cooldown
        assert liveness_of(engine).refusal() is None
        with UnitOfWork(engine) as uow:
            assert uow.connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_writes_answer_503_with_retry_after_while_the_database_is_silent(
    seeded: Engine, database_url: str, relay: TcpProxy
) -> None:
    from modelplane.services.tokens import TokenSpec, create_token

    with UnitOfWork(seeded) as uow:
        _, token = create_token(uow, TokenSpec(name="ed", role="editor"), "ops")
        uow.commit()
    url = make_url(database_url).set(port=relay.port).render_as_string(hide_password=False)
    settings = Settings(database_url=url, environment="test", db_statement_timeout=0.5)
    runtime = Runtime(settings, live_reads=True)
    try:
        with TestClient(create_app(runtime)) as client:
            version = client.get(f"/api/v1/models/{MODEL}").json()["version"]
            relay.freeze()
            headers = {"Authorization": f"Bearer {token}", "If-Match": f'"{version}"'}
            answer = client.patch(
                f"/api/v1/models/{MODEL}", json={"pricing": {"input": 9}}, headers=headers
            )
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "2"
            assert answer.headers["content-type"] == "application/problem+json"
            assert client.get(f"/api/v1/models/{MODEL}").status_code == 200
            relay.thaw()
    finally:
        runtime.close()
