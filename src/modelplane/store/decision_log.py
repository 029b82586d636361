"""The decision log: one ``routing_decisions`` row per decision, for analytics.

The message is stored as its SHA-256 hash; the text itself only if the deployment asks
for it (``MODELPLANE_LOG_DECISION_TEXT``). Rows are written in batches on a background
thread: a decision never waits for its log row, and routing goes on while the database is
down (the batch is then dropped and counted, as ``store/background.py`` does).

Recording a row only appends it to a buffer: the writer thread is not woken per row (a
wake-up per decision cost the request path more than the append). It drains the buffer
every ``interval`` seconds, or as soon as ``batch`` rows are waiting; ``flush`` and
``close`` write everything recorded before them, so a clean shutdown loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from modelplane.store import tables as t
from modelplane.store.database import WRITE_OPTION

log = logging.getLogger(__name__)
Row = dict[str, Any]


def _insert(conn: Connection, rows: Sequence[Row]) -> None:
    conn.execute(t.routing_decisions.insert(), list(rows))


class DecisionLog:
    """The process's decision log writer. Thread-safe: ``record`` from any thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = 0.2,
        batch: int = 256,
        capacity: int = 10_000,
    ) -> None:
        self._engine = engine
        self._interval = interval
        self._batch = batch
        self._capacity = capacity
        self._rows: deque[Row] = deque()  # append and popleft are atomic: no lock per row
        self._wake = threading.Event()
        self._stopping = False
        self._writing = threading.Lock()  # one batch at a time: the writer's or a flush's
        self._failing = False
        self.dropped = 0
        self.written = 0
        self._thread = threading.Thread(
            target=self._run, name="modelplane-decision-log", daemon=True
        )
        self._thread.start()

    def record(self, row: Row) -> None:
        """Queue one ``routing_decisions`` row (``services/routing.decision_row`` builds
        it). Never blocks; a row that finds the buffer full is dropped and counted."""
        rows = self._rows
        if len(rows) >= self._capacity:
            self.dropped += 1
            return
        rows.append(row)
        if len(rows) == self._batch:  # once per full batch, not per row
            self._wake.set()

    def flush(self) -> None:
        """Block until every row recorded so far has been written (or dropped)."""
        self._drain()

    def close(self) -> None:
        """Write what is left and stop the writer thread."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)
        self._drain()  # rows recorded while it stopped

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()

    def _drain(self) -> None:
        with self._writing:
            rows = self._rows
            while rows:
                batch: list[Row] = []
                try:
                    while len(batch) < 500:
                        batch.append(rows.popleft())
                except IndexError:
                    pass
                self._write(batch)

    def _write(self, batch: list[Row]) -> None:
        try:
            with self._engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
                _insert(conn, batch)
                conn.commit()
        except Exception as exc:  # the database may be down: evidence is best effort
            self.dropped += len(batch)
            if not self._failing:
                log.warning("decision log: %d rows not written: %s", len(batch), exc)
            self._failing = True
            return
        self.written += len(batch)
        if self._failing:
            log.warning("decision log: writing again")
        self._failing = False
