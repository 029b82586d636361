"""Which process serves which change: the fleet as the heartbeats tell it.

Each process's lag is measured against the database's sequence: in changes, and in
milliseconds as the age of the oldest change it has not applied yet (0 when it is
current). A process that has not beaten for more than ``SILENT_AFTER`` intervals is
``silent``; one silent for ``HIDE_AFTER`` is no longer listed. A process behind for longer
than the ``fleet_behind_after_ms`` setting is ``behind``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from modelplane.domain.clock import utcnow
from modelplane.settings import Settings
from modelplane.store.fleet import change_time, read_fleet
from modelplane.store.unit_of_work import UnitOfWorkFactory

SILENT_AFTER = 3
HIDE_AFTER = timedelta(minutes=10)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _ms(delta: timedelta) -> int:
    return max(int(delta.total_seconds() * 1000), 0)


def fleet_status(uows: UnitOfWorkFactory, settings: Settings) -> dict[str, Any]:
    """``{"sequence": N, "processes": [...]}``, one consistent read."""
    now = utcnow()
    interval = timedelta(milliseconds=settings.heartbeat_interval_ms)
    behind_after = timedelta(milliseconds=settings.fleet_behind_after_ms)
    with uows(read_only=True) as uow:
        rows = read_fleet(uow.connection, now - HIDE_AFTER)
    processes = []
    for p in rows.processes:
        oldest = rows.oldest_unapplied.get(p.id)
        lag_ms = _ms(now - oldest) if oldest is not None else 0
        silent = now - p.last_seen > interval * SILENT_AFTER
        processes.append(
            {
                "id": p.id,
                "host": p.host,
                "pid": p.pid,
                "version": p.version,
                "startedAt": _iso(p.started_at),
                "sequence": p.sequence,
                "lagChanges": max(rows.sequence - p.sequence, 0),
                "lagMs": lag_ms,
                "appliedAt": _iso(p.applied_at),
                "lastSeen": _iso(p.last_seen),
                "degraded": p.degraded,
                "silent": silent,
                "behind": p.behind or (not silent and lag_ms > _ms(behind_after)),
            }
        )
    return {"sequence": rows.sequence, "processes": processes}


def applied_by(uows: UnitOfWorkFactory, settings: Settings, sequence: int) -> dict[str, Any]:
    """How many of the live (not silent) processes serve ``sequence`` or later, and how
    long the slowest of those that applied exactly it took, from its commit."""
    status = fleet_status(uows, settings)
    live = [p for p in status["processes"] if not p["silent"]]
    done = [p for p in live if p["sequence"] >= sequence]
    with uows(read_only=True) as uow:
        committed = change_time(uow.connection, sequence)
    took = [
        _ms(datetime.fromisoformat(p["appliedAt"]) - committed)
        for p in done
        if committed is not None and p["sequence"] == sequence and p["appliedAt"]
    ]
    return {
        "sequence": sequence,
        "applied": len(done),
        "total": len(live),
        "ms": max(took) if took else None,
    }
