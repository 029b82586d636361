"""Shared pieces of the benchmarks: throwaway databases and server processes on loopback."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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
        deadline = time.monotonic() + 30
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
