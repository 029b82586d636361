"""Noticing a database that has stopped answering, and failing fast while it does.

A database behind a silent partition (a firewall that drops packets, a relay that accepts
but forwards nothing) never refuses anything: without limits every query waits forever.
So on PostgreSQL:

- every connection has TCP keepalives, a connect timeout, and server-side
  ``statement_timeout`` and ``lock_timeout`` (``Timeouts``);
- every round trip on a connection has a client-side deadline (``DeadlineConnection``):
  ``reply`` seconds without an answer closes the connection and raises, because no TCP
  setting can tell a silent peer from a slow one when a relay acknowledges the bytes;
- ``Liveness`` (one per engine) remembers that: after a missed deadline, or while the live
  watcher's last round trip failed, new units of work and new connections are refused at
  once (``refusal``) rather than waiting their own deadline. The watcher's next successful
  round trip clears it; without a watcher (a one-shot command) it clears itself after
  ``cooldown`` seconds. When the watcher finds the database away (``down``), the round
  trips already waiting are cut short too: their sockets are shut, so they fail now
  instead of at their own deadline.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Engine

_WAIT_TIMEOUT: type[BaseException] = getattr(pg_errors, "_WaitTimeout", TimeoutError)


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for the database, in seconds (``Settings.db_*``)."""

    connect: int = 2
    """Opening a connection (libpq's ``connect_timeout``; at least 2)."""
    statement: float = 5.0
    """One statement, on the server (``statement_timeout``)."""
    lock: float = 4.0
    """Waiting for a row or table lock, on the server (``lock_timeout``)."""
    pool: float = 3.0
    """Waiting for a free pooled connection."""
    ping: float = 1.5
    """The live watcher's round trip (``SELECT 1``)."""

    @property
    def reply(self) -> float:
        """The client's deadline for any answer: a statement's own limit, and a little."""
        return self.statement + 0.5

    def connect_args(self) -> dict[str, Any]:
        """libpq parameters: the connect timeout, keepalives, and the server-side limits."""
        return {
            "connect_timeout": max(2, self.connect),
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": int(self.reply * 1000),
            "options": (
                f"-c statement_timeout={int(self.statement * 1000)}"
                f" -c lock_timeout={int(self.lock * 1000)}"
            ),
        }


class Liveness:
    """What this process knows of its database's health (see the module's docstring)."""

    def __init__(self, timeouts: Timeouts, cooldown: float = 2.0) -> None:
        self.timeouts = timeouts
        self._cooldown = cooldown
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self._reason: str | None = None
        self.watched = False
        """Whether a live watcher is pinging: then only its success clears a failure."""
        self.last_ok: float | None = None
        """``time.monotonic()`` of the watcher's last successful round trip."""
        self._waiting: set[DeadlineConnection] = set()

    def ok(self) -> None:
        with self._lock:
            self.last_ok = time.monotonic()
            self._failed_at = None
            self._reason = None

    def failed(self, reason: str) -> None:
        with self._lock:
            self._failed_at = time.monotonic()
            self._reason = reason

    def down(self, reason: str) -> None:
        """The watcher's word that the database is away: refuse new work, and cut short
        the round trips waiting for it."""
        self.failed(reason)
        with self._lock:
            waiting = list(self._waiting)
        for conn in waiting:
            conn.abort()

    def waiting(self, conn: DeadlineConnection, waits: bool) -> None:
        with self._lock:
            if waits:
                self._waiting.add(conn)
            else:
                self._waiting.discard(conn)

    def refusal(self) -> str | None:
        """Why a new unit of work or connection should not even try, if it should not."""
        with self._lock:
            if self._failed_at is None:
                return None
            if self.watched or time.monotonic() - self._failed_at < self._cooldown:
                return self._reason
            return None


class DeadlineConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server has a deadline."""

    reply_timeout: float | None = None
    liveness: Liveness | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        bounded = timeout is None and self.reply_timeout is not None
        liveness = self.liveness
        if liveness is not None:
            liveness.waiting(self, True)
        try:
            return super().wait(gen, interval, self.reply_timeout if bounded else timeout)
        except _WAIT_TIMEOUT:
            if not bounded:
                raise
            # Mid-protocol: the connection cannot be used again. Closing it makes the pool
            # see a disconnection and throw it away.
            self.pgconn.finish()
            reason = f"no answer from the database within {self.reply_timeout:g}s"
            if self.liveness is not None:
                self.liveness.failed(reason)
            raise psycopg.OperationalError(reason) from None
        finally:
            if liveness is not None:
                liveness.waiting(self, False)

    def abort(self) -> None:
        """Shut the socket under a waiting round trip (from another thread): the wait
        returns at once with a lost connection."""
        with contextlib.suppress(OSError, psycopg.Error):
            duplicate = socket.socket(fileno=os.dup(self.pgconn.socket))
            try:
                duplicate.shutdown(socket.SHUT_RDWR)
            finally:
                duplicate.close()


def connect(
    conninfo: str, liveness: Liveness | None, reply_timeout: float | None, **kwargs: Any
) -> DeadlineConnection:
    """A ``DeadlineConnection``; refused at once while ``liveness`` says the database is
    away (the watcher reconnects with ``liveness=None``)."""
    if liveness is not None:
        reason = liveness.refusal()
        if reason is not None:
            raise psycopg.OperationalError(f"database marked unreachable: {reason}")
    conn = DeadlineConnection.connect(conninfo, **kwargs)
    conn.reply_timeout = reply_timeout
    conn.liveness = liveness
    return conn


_ENGINES: weakref.WeakKeyDictionary[Engine, Liveness] = weakref.WeakKeyDictionary()
_ENGINES_LOCK = threading.Lock()


def liveness_of(engine: Engine) -> Liveness:
    """The engine's ``Liveness`` (one that never fails for an engine without limits)."""
    with _ENGINES_LOCK:
        found = _ENGINES.get(engine)
        if found is None:
            found = _ENGINES[engine] = Liveness(Timeouts())
        return found


def bind(engine: Engine, liveness: Liveness) -> None:
    with _ENGINES_LOCK:
        _ENGINES[engine] = liveness


@contextmanager
def unbounded(dbapi_connection: Any) -> Iterator[None]:
    """Lift the client deadline on one connection for a while (migrations may run long);
    the caller lifts the server's limits with ``SET LOCAL``."""
    if not isinstance(dbapi_connection, DeadlineConnection):
        yield
        return
    before = dbapi_connection.reply_timeout
    dbapi_connection.reply_timeout = None
    try:
        yield
    finally:
        dbapi_connection.reply_timeout = before
