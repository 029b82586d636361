"""The decision log: one ``routing_decisions`` row per decision, for analytics.

The message is stored as its SHA-256 hash; the text itself only if the deployment asks
for it (``MODELPLANE_LOG_DECISION_TEXT``). Rows are written in batches on a background
thread (``store/background.py``): a decision never waits for its log row, and routing goes
on while the database is down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from modelplane.store import tables as t
from modelplane.store.background import BackgroundWriter


def _insert(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    conn.execute(t.routing_decisions.insert(), list(rows))


class DecisionLog:
    """The process's decision log writer."""

    def __init__(self, engine: Engine) -> None:
        self._writer: BackgroundWriter[dict[str, Any]] = BackgroundWriter(
            engine, _insert, "decision log"
        )

    def record(self, row: dict[str, Any]) -> None:
        """Queue one ``routing_decisions`` row (``services/routing.decision_row`` builds it)."""
        self._writer.put(row)

    @property
    def dropped(self) -> int:
        return self._writer.dropped

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
