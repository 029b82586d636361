"""A silent partition between a server process and PostgreSQL: the relay between them keeps
accepting connections but forwards nothing. Reads and routing go on, ``/healthz`` says
``degraded`` within 5 s, writes answer 503 within their deadline, nothing answers 500, and
everything recovers when the relay forwards again. (Latency figures: ``bench/partition.py``.)
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store.unit_of_work import UnitOfWork
from tests.support import ServerProcess, TcpProxy, wait_until

pytestmark = pytest.mark.partition

MODEL = "google:gemini-2.5-pro"
PARTITION_SECONDS = 8.0


@pytest.fixture
def relay() -> Iterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 5432).start()
    yield proxy
    proxy.thaw()
    proxy.cut()


@pytest.fixture
def server(pg_url: str, relay: TcpProxy, tmp_path: Path) -> Iterator[ServerProcess]:
    url = make_url(pg_url).set(port=relay.port).render_as_string(hide_password=False)
    process = ServerProcess(url, tmp_path)
    yield process
    process.stop()


def _token(engine: Engine, role: str) -> str:
    with UnitOfWork(engine) as uow:
        _, token = create_token(uow, TokenSpec(name=f"partition-{role}", role=role), "ops")
        uow.commit()
    return token


class Steady:
    """Reads and routes in a loop on two threads, every status code counted."""

    def __init__(self, base: str, token: str) -> None:
        self.codes: Counter[tuple[str, int]] = Counter()
        self._stop = threading.Event()
        headers = {"Authorization": f"Bearer {token}"}
        self._threads = [
            threading.Thread(target=self._loop, args=(base, headers, kind), daemon=True)
            for kind in ("read", "route")
        ]

    def _loop(self, base: str, headers: dict[str, str], kind: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            while not self._stop.is_set():
                if kind == "read":
                    response = client.get(f"/api/v1/models/{MODEL}")
                else:
                    response = client.post("/api/v1/route", json={"text": "a haiku on rain"})
                self.codes[(kind, response.status_code)] += 1
                time.sleep(0.01)

    def __enter__(self) -> Steady:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)


def _write(base: str, token: str, price: int, results: list[tuple[int, float]]) -> None:
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        version = httpx.get(f"{base}/api/v1/models/{MODEL}", timeout=5).json()["version"]
        response = httpx.patch(
            f"{base}/api/v1/models/{MODEL}",
            json={"pricing": {"input": price}},
            headers={**headers, "If-Match": f'"{version}"'},
            timeout=30,
        )
        status = response.status_code
    except httpx.HTTPError:
        status = -1  # the connection failed or timed out: counted, and refused below
    results.append((status, time.monotonic() - started))


def test_a_silent_partition_degrades_health_fails_writes_fast_and_recovers(
    pg_engine: Engine, relay: TcpProxy, server: ServerProcess
) -> None:
    base = server.url
    editor = _token(pg_engine, "editor")
    viewer = _token(pg_engine, "viewer")
    wait_until(lambda: server.get("/healthz").json()["status"] == "ok", timeout=10)
    assert server.get(f"/api/v1/models/{MODEL}").status_code == 200

    with Steady(base, viewer) as steady:
        time.sleep(0.5)
        relay.freeze()
        frozen_at = time.monotonic()
        results: list[tuple[int, float]] = []
        writers = [
            threading.Thread(target=_write, args=(base, editor, 3 + i, results)) for i in range(20)
        ]
        for writer in writers:
            writer.start()
        degraded = wait_until(
            lambda: server.get("/healthz").json()["status"] == "degraded", timeout=10
        )
        time_to_degraded = time.monotonic() - frozen_at
        for writer in writers:
            writer.join(30)
        remaining = PARTITION_SECONDS - (time.monotonic() - frozen_at)
        if remaining > 0:
            time.sleep(remaining)
        health = server.get("/healthz").json()
        relay.thaw()
        wait_until(lambda: server.get("/healthz").json()["status"] == "ok", timeout=15)
        time.sleep(0.5)

    assert degraded and time_to_degraded < 5.0, time_to_degraded
    assert health["status"] == "degraded" and health["database"], health
    assert len(results) == 20
    assert Counter(status for status, _ in results) == {503: 20}, results
    assert max(seconds for _, seconds in results) < 7.0, results
    assert not [key for key in steady.codes if key[1] != 200], steady.codes
    assert steady.codes[("read", 200)] > 20 and steady.codes[("route", 200)] > 20

    version = server.get(f"/api/v1/models/{MODEL}").json()["version"]
    after = httpx.patch(
        f"{base}/api/v1/models/{MODEL}",
        json={"pricing": {"input": 42}},
        headers={"Authorization": f"Bearer {editor}", "If-Match": f'"{version}"'},
        timeout=10,
    )
    assert after.status_code == 200, after.text
    assert server.get(f"/api/v1/models/{MODEL}").json()["pricing"]["input"] == 42
