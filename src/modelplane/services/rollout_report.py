"""The evidence an operator reads before raising a rollout step: parity per source."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from modelplane.services.flags import list_flags
from modelplane.services.seed import SEED_AUTHOR
from modelplane.store.rollout_repositories import ParityRepository
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

EXAMPLES_PER_KIND = 3
_EXAMPLES_READ = 200
"""How many recent mismatches of a kind are read to find the unexplained examples."""
PRICE_KINDS = ("price", "cost")
_HISTORY_READ = 50
"""How many recent versions of a model are searched for the edit that set its price."""


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
    found = repo.mismatched(since)
    edits = {
        (kind, model_id): edit
        for kind, model_id in {(k, m) for _, _, k, m in found if m is not None}
        if (edit := deliberate_edit(uow, kind, model_id)) is not None
    }
    unexplained = [(at, rk, k, m) for at, rk, k, m in found if (k, m) not in edits]
    explained: dict[tuple[str, str], set[tuple[Any, str]]] = {}
    for at, rk, k, m in found:
        if m is not None and (k, m) in edits:
            explained.setdefault((k, m), set()).add((at, rk))
    mismatches: dict[str, dict[str, Any]] = {}
    for kind in sorted(counts):
        requests = {(at, rk) for at, rk, k, _ in unexplained if k == kind}
        if not requests:
            continue
        examples = [
            e
            for e in repo.mismatch_examples(kind, _EXAMPLES_READ, since)
            if (kind, e["modelId"]) not in edits
        ][:EXAMPLES_PER_KIND]
        mismatches[kind] = {"count": counts[kind], "requests": len(requests), "examples": examples}
    return {
        "since": since.isoformat() if since else None,
        "flags": [f.to_json() for f in list_flags(uow)],
        "sources": sources,
        "mismatchedRequests": len({(at, rk) for at, rk, _, _ in unexplained}),
        "mismatches": mismatches,
        "explained": [
            {"kind": k, "modelId": m, "requests": len(reqs), "edit": edits[(k, m)]}
            for (k, m), reqs in sorted(explained.items())
        ],
    }


def deliberate_edit(uow: UnitOfWork, kind: str, model_id: str) -> str | None:
    """The database edit that explains a difference from the static tables, named; None
    when nothing deliberate does. A price or cost difference is explained by the price the
    database holds now having been set by someone after the seed; a model only the database
    has, by its having been created there."""
    model = uow.models.get(model_id)
    if model is None:
        return None
    if kind == "missing_in_static" and model.created_by not in (None, SEED_AUTHOR):
        return f"created in the database by {model.created_by}"
    if kind not in PRICE_KINDS:
        return None
    for entry in uow.model_history.page(model_id, 0, _HISTORY_READ):
        if any(c.field == "pricing" or c.field.startswith("pricing.") for c in entry.changes):
            if entry.author == SEED_AUTHOR:
                return None
            when = entry.at.strftime("%Y-%m-%d %H:%M")
            why = f": {entry.reason}" if entry.reason else ""
            return (
                f"price changed in the database by {entry.author} at {when} UTC "
                f"(version {entry.version}){why}"
            )
    return None
