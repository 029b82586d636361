"""The evidence an operator reads before raising a rollout step: parity per source."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from modelplane.services.flags import list_flags
from modelplane.store.rollout_repositories import ParityRepository
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

EXAMPLES_PER_KIND = 3


def rollout_report(uows: UnitOfWorkFactory, since: datetime | None = None) -> dict[str, Any]:
    """Flags, then per source (static, db): sampled requests, error rate, latency; then the
    mismatches between them by kind, with a few recent examples of each. One read-only
    transaction."""
    with uows(read_only=True) as uow:
        return _report(uow, since)


def _report(uow: UnitOfWork, since: datetime | None) -> dict[str, Any]:
    repo = ParityRepository(uow.connection)
    sources: dict[str, dict[str, Any]] = {}
    for row in repo.source_stats(since):
        entry = sources.setdefault(row["source"], {"requests": 0, "errors": 0})
        entry["requests"] += int(row["requests"])
        entry["errors"] += int(row["errors"] or 0)
    for source, entry in sources.items():
        latencies = sorted(repo.latencies(source, since))
        entry["errorRate"] = entry["errors"] / entry["requests"] if entry["requests"] else 0.0
        entry["latencyUs"] = {
            "p50": statistics.median(latencies) if latencies else None,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            if latencies
            else None,
        }
    counts = repo.mismatch_counts(since)
    return {
        "since": since.isoformat() if since else None,
        "flags": [f.to_json() for f in list_flags(uow)],
        "sources": sources,
        "mismatches": {
            kind: {"count": n, "examples": repo.mismatch_examples(kind, EXAMPLES_PER_KIND, since)}
            for kind, n in sorted(counts.items())
        },
    }
