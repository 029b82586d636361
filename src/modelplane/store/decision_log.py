"""The decision log: one ``routing_decisions`` row per decision, for analytics.

The message is stored as its SHA-256 hash; the text itself only if the deployment asks
for it (``MODELPLANE_LOG_DECISION_TEXT``). Rows are written in batches on a background
thread (``store/background.py``): a decision never waits for its log row, recording one
only appends it to a buffer, and routing goes on while the database is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from modelplane.store import tables as t
from modelplane.store.background import BackgroundWriter

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
        self._writer: BackgroundWriter[Row] = BackgroundWriter(
            engine, _insert, "decision log", capacity=capacity, batch=batch, interval=interval
        )

    def record(self, row: Row) -> None:
        """Queue one ``routing_decisions`` row (``services/routing.decision_row`` builds
        it). Never blocks; a row that finds the buffer full is dropped and counted."""
        self._writer.put(row)

    @property
    def dropped(self) -> int:
        return self._writer.dropped

    @property
    def written(self) -> int:
        return self._writer.written

    def flush(self) -> None:
        """Block until every row recorded so far has been written (or dropped)."""
        self._writer.flush()

    def close(self) -> None:
        """Write what is left and stop the writer thread."""
        self._writer.close()
