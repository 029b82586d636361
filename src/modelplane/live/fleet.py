"""This process's heartbeat: every few seconds (and at once after it applies a change) it
writes which change sequence it serves, since when, and whether it is degraded or behind.

"Behind" is this process's own finding: the database's sequence has been ahead of the
snapshot it serves for longer than ``behind_after`` seconds. ``/healthz`` reports it."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Engine

from modelplane import __version__
from modelplane.domain.changes import Change
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import ModelplaneError
from modelplane.live.catalog import LiveCatalog
from modelplane.store.fleet import ProcessBeat, beat, forget, prune
from modelplane.store.live_reads import READ_FAILURES, current_sequence

log = logging.getLogger(__name__)
FORGET_AFTER = timedelta(days=1)
"""Rows of processes silent this long are deleted by any live process's heartbeat."""


class Heartbeat:
    def __init__(
        self, engine: Engine, live: LiveCatalog, interval: float, behind_after: float
    ) -> None:
        self._engine = engine
        self._live = live
        self.interval = interval
        self._behind_after = behind_after
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_at = utcnow()
        self.id = f"{self.host}:{self.pid}:{int(self.started_at.timestamp() * 1000)}"[:120]
        self._applied_at: datetime | None = self.started_at
        self._behind_since: float | None = None
        self.database_sequence: int | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe = live.subscribe(self._applied)
        self._last_prune = 0.0

    @property
    def behind(self) -> bool:
        """The database has been ahead of this process for longer than ``behind_after``."""
        since = self._behind_since
        return since is not None and time.monotonic() - since > self._behind_after

    @property
    def lag_changes(self) -> int:
        if self.database_sequence is None:
            return 0
        return max(self.database_sequence - self._live.current.sequence, 0)

    def start(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, name="modelplane-heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            forget(self._engine, self.id)
        except (*READ_FAILURES, ModelplaneError):
            pass  # the row goes silent, then is pruned

    def _applied(self, _: Change) -> None:
        self._applied_at = utcnow()
        self._wake.set()  # tell the fleet at once

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat_once()
            self._wake.wait(self.interval)
            self._wake.clear()

    def beat_once(self) -> None:
        snapshot = self._live.current
        try:
            database = current_sequence(self._engine)
        except (*READ_FAILURES, ModelplaneError):
            database = None
        self.database_sequence = database
        if database is not None and database > snapshot.sequence:
            if self._behind_since is None:
                self._behind_since = time.monotonic()
        else:
            self._behind_since = None
        sequence = snapshot.sequence if snapshot.source == "db" else 0
        record = ProcessBeat(
            id=self.id,
            host=self.host,
            pid=self.pid,
            version=__version__,
            started_at=self.started_at,
            sequence=sequence,
            applied_at=self._applied_at,
            last_seen=utcnow(),
            degraded=self._live.degraded,
            behind=self.behind,
        )
        try:
            beat(self._engine, record)
            if time.monotonic() - self._last_prune > 60:
                self._last_prune = time.monotonic()
                prune(self._engine, utcnow() - FORGET_AFTER)
        except (*READ_FAILURES, ModelplaneError) as exc:
            log.debug("heartbeat not written: %s", exc)
