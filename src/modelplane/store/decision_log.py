"""The decision log: one ``routing_decisions`` row per decision, for analytics.

The message is stored as its SHA-256 hash; the text itself only if the deployment asks
for it (``MODELPLANE_LOG_DECISION_TEXT``). Rows are written in batches on a background
thread (``store/background.py``): a decision never waits for its log row, and routing goes
on while the database is down.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine

from modelplane.router.decision import RouteDecision
from modelplane.store import tables as t
from modelplane.store.background import BackgroundWriter

_THOUSAND = Decimal(1000)


def text_hash(text: str) -> str:
    """The hex SHA-256 of the UTF-8 text: 64 characters, the same on every machine."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_for(
    text: str, decision: RouteDecision, keep_text: bool, average_price: Decimal | None
) -> dict[str, Any]:
    c = decision.classification
    return {
        "at": datetime.now(UTC),
        "text_hash": text_hash(text),
        "text": text if keep_text else None,
        "classification": c.to_json(),
        "primary_category": c.primary_category,
        "complexity": c.complexity,
        "selected_model_id": decision.selected_model_id,
        "tier": decision.tier,
        "candidate_count": decision.candidate_count,
        "is_sticky": decision.is_sticky,
        "exploration": decision.exploration_pick,
        "is_fallback": decision.is_fallback,
        "config_version": decision.config_version,
        "profiles_version": decision.profiles_version,
        "experiment": decision.experiment,
        "variant": decision.variant,
        "cost_per_1k": average_price / _THOUSAND if average_price is not None else None,
        "latency_us": decision.timing.total_us,
        "error": decision.error,
    }


def _insert(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    conn.execute(t.routing_decisions.insert(), list(rows))


class DecisionLog:
    """The process's decision log writer."""

    def __init__(self, engine: Engine) -> None:
        self._writer: BackgroundWriter[dict[str, Any]] = BackgroundWriter(
            engine, _insert, "decision log"
        )

    def record(
        self,
        text: str,
        decision: RouteDecision,
        keep_text: bool = False,
        average_price: Decimal | None = None,
    ) -> None:
        self._writer.put(row_for(text, decision, keep_text, average_price))

    @property
    def dropped(self) -> int:
        return self._writer.dropped

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
