"""Parity (shadow) mode: for a sampled share of requests, answer from both the static tables
and the database, and record every difference, each source's latency and its errors.

Recording happens on a background thread with a bounded queue, so a sampled request pays
for the second computation but never waits on the database to write the evidence. Writing
is ``store/parity_repository.py``'s; this module only compares.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from modelplane.domain.models import Model
from modelplane.domain.pricing import cost
from modelplane.domain.reader import CatalogReader
from modelplane.rollout.assignment import SAMPLE_FLAG as SAMPLE_FLAG  # re-exported
from modelplane.store.parity_repository import ParityLog

T = TypeVar("T")
REFERENCE_REQUEST = (1_000, 1_000, 200, 200)
"""Tokens (input, output, cached input, reasoning) of the request whose cost is compared."""
_PRICE_FIELDS = ("input", "output", "cached", "reasoning")


class Sample:
    """What one shadowed request found: per-source timings and errors, and mismatches."""

    def __init__(self, request_kind: str) -> None:
        self.request_kind = request_kind
        self.at = datetime.now(UTC)
        self.samples: list[dict[str, Any]] = []
        self.mismatches: list[dict[str, Any]] = []

    def timed(self, source: str, work: Callable[[], T]) -> T | None:
        start = time.perf_counter_ns()
        try:
            result = work()
        except Exception as exc:  # an error is evidence too
            self._sample(source, start, str(exc) or type(exc).__name__)
            return None
        self._sample(source, start, None)
        return result

    def _sample(self, source: str, start: int, error: str | None) -> None:
        self.samples.append(
            {
                "at": self.at,
                "request_kind": self.request_kind,
                "source": source,
                "latency_us": (time.perf_counter_ns() - start) // 1000,
                "ok": error is None,
                "error": error,
            }
        )

    def mismatch(self, kind: str, model_id: str | None, **details: Any) -> None:
        self.mismatches.append(
            {
                "at": self.at,
                "request_kind": self.request_kind,
                "kind": kind,
                "model_id": model_id,
                "details": details,
            }
        )


def compare_catalogues(static: CatalogReader, database: CatalogReader) -> Sample:
    """Both sources' public catalogues, model by model: presence, prices, and the cost of
    ``REFERENCE_REQUEST``."""
    sample = Sample("catalogue")
    ours = sample.timed("static", static.models)
    theirs = sample.timed("db", database.models)
    if ours is None or theirs is None:
        return sample
    by_static = {m.id: m for m in ours}
    by_db = {m.id: m for m in theirs}
    for model_id in sorted(by_static.keys() - by_db.keys()):
        sample.mismatch("missing_in_db", model_id)
    for model_id in sorted(by_db.keys() - by_static.keys()):
        sample.mismatch("missing_in_static", model_id)
    for model_id in sorted(by_static.keys() & by_db.keys()):
        _compare_model(sample, by_static[model_id], by_db[model_id])
    return sample


def _compare_model(sample: Sample, static: Model, database: Model) -> None:
    prices = {
        field: (_num(getattr(static.pricing, field)), _num(getattr(database.pricing, field)))
        for field in _PRICE_FIELDS
        if getattr(static.pricing, field) != getattr(database.pricing, field)
    }
    if prices:
        sample.mismatch(
            "price", static.id, fields={k: {"static": a, "db": b} for k, (a, b) in prices.items()}
        )
    ours, theirs = (
        cost(static.pricing, *REFERENCE_REQUEST),
        cost(database.pricing, *REFERENCE_REQUEST),
    )
    if ours != theirs:
        sample.mismatch(
            "cost", static.id, static=str(ours), db=str(theirs), tokens=list(REFERENCE_REQUEST)
        )


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class ParityRecorder(ParityLog):
    """The process's parity evidence: ``record`` a ``Sample``, or a comparison returning
    one, and it is written in the background (``store/parity_repository.py``)."""
