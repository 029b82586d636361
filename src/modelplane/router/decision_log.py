"""The decision log: one ``routing_decisions`` row per decision, for analytics.

The message is stored as its SHA-256 hash; the text itself only if the deployment asks
for it (``MODELPLANE_LOG_DECISION_TEXT``).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from modelplane.router.decision import RouteDecision
from modelplane.store import tables as t
from modelplane.store.database import WRITE_OPTION

log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    """The hex SHA-256 of the UTF-8 text: 64 characters, the same on every machine."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(engine: Engine, text: str, decision: RouteDecision, keep_text: bool = False) -> bool:
    """Write the row. A failed write is logged and reported as ``False``, never raised:
    the log must not cost a user their answer."""
    c = decision.classification
    row = {
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
        "latency_us": decision.timing.total_us,
        "error": decision.error,
    }
    try:
        with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
            conn.execute(t.routing_decisions.insert().values(row))
            conn.commit()
    except SQLAlchemyError as exc:
        log.warning("could not log the routing decision: %s", exc.__class__.__name__)
        return False
    return True
