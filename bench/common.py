"""Shared pieces of the benchmarks: throwaway databases and server processes on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from modelplane.services.seed import seed
from modelplane.store import migrate
from modelplane.store.database import create_db_engine

POSTGRES_URL = os.environ.get(
    "MODELPLANE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Database:
    """A migrated, seeded database that is dropped on close."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.name = f"modelplane_bench_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            self.url = f"sqlite:///{Path(tempfile.mkdtemp()) / self.name}.db"
        else:
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
            self.url = make_url(POSTGRES_URL).set(database=self.name).render_as_string(False)
        engine = create_db_engine(self.url)
        migrate.upgrade(engine)
        seed(engine)
        engine.dispose()

    def close(self) -> None:
        if self.backend == "postgresql":
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()


class Server:
    """``modelplane serve`` as a child process."""

    startup_seconds: float = 30
    """How long to wait for ``/healthz`` (a large catalogue takes longer to load)."""

    def __init__(self, database_url: str, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "MODELPLANE_DATABASE_URL": database_url, **env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "modelplane", "serve", "--port", str(self.port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server on {self.url} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p99": percentile(values, 99),
        "max": max(values),
    }


class Arrivals:
    """Follows each server's event stream and records, per server, when each change sequence
    arrived (by ``clock``); ``kind`` keeps only the changes of that kind."""

    def __init__(
        self,
        servers: list[Server],
        kind: str | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.seen: list[dict[int, float]] = [{} for _ in servers]
        self._marker = f'"{kind}"' if kind else '"kind"'
        self._clock = clock
        self._condition = threading.Condition()
        self._ready = threading.Barrier(len(servers) + 1)
        for index, server in enumerate(servers):
            threading.Thread(target=self._follow, args=(index, server), daemon=True).start()
        self._ready.wait(30)

    def _follow(self, index: int, server: Server) -> None:
        with (
            contextlib.suppress(httpx.HTTPError),  # the server stops at the end
            httpx.stream("GET", f"{server.url}/api/v1/events", timeout=None) as response,
        ):
            for line in response.iter_lines():
                if line.startswith("event: hello"):
                    self._ready.wait(30)
                elif line.startswith("data: ") and self._marker in line:
                    arrived = self._clock()
                    sequence = json.loads(line[6:])["sequence"]
                    with self._condition:
                        self.seen[index][sequence] = arrived
                        self._condition.notify_all()

    def firsts(self, sequence: int, timeout: float = 10) -> list[float]:
        """Each server's arrival time of its first change numbered ``sequence`` or later."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                times = [
                    min((t for s, t in seen.items() if s >= sequence), default=None)
                    for seen in self.seen
                ]
                if all(t is not None for t in times):
                    return [t for t in times if t is not None]
                if not self._condition.wait(deadline - time.monotonic()):
                    raise TimeoutError(f"change {sequence} did not arrive everywhere")
