"""Heartbeats of serving processes: one row each in ``fleet_processes``.

A beat is one upsert in its own short transaction: it touches no change log, so it never
wakes a watcher, and it holds SQLite's write lock for a single statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, func, select, update

from modelplane.store import tables as t
from modelplane.store.database import WRITE_OPTION
from modelplane.store.unit_of_work import translate_db_errors

_T = t.fleet_processes


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A short write that takes SQLite's write lock up front, like a unit of work."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


@dataclass(frozen=True)
class ProcessBeat:
    """What one process says about itself."""

    id: str
    host: str
    pid: int
    version: str
    started_at: datetime
    sequence: int
    applied_at: datetime | None
    last_seen: datetime
    degraded: bool
    behind: bool


def beat(engine: Engine, process: ProcessBeat) -> None:
    """Write ``process``'s row (insert the first time, update after)."""
    values = {
        "host": process.host,
        "pid": process.pid,
        "version": process.version,
        "started_at": process.started_at,
        "sequence": process.sequence,
        "applied_at": process.applied_at,
        "last_seen": process.last_seen,
        "degraded": process.degraded,
        "behind": process.behind,
    }
    with translate_db_errors(engine), _writing(engine) as conn:
        updated = conn.execute(update(_T).where(_T.c.id == process.id).values(values))
        if updated.rowcount == 0:
            conn.execute(_T.insert().values({"id": process.id, **values}))


def forget(engine: Engine, process_id: str) -> None:
    """A process that stops cleanly leaves the fleet at once (it is not "silent")."""
    with translate_db_errors(engine), _writing(engine) as conn:
        conn.execute(delete(_T).where(_T.c.id == process_id))


def prune(engine: Engine, before: datetime) -> int:
    """Drop processes not seen since ``before``; how many went."""
    with translate_db_errors(engine), _writing(engine) as conn:
        return int(conn.execute(delete(_T).where(_T.c.last_seen < before)).rowcount or 0)


@dataclass(frozen=True)
class FleetRows:
    """One consistent read: the database's sequence, every process seen lately, and for
    each process behind it the time of the oldest change it has not applied yet."""

    sequence: int
    processes: list[ProcessBeat]
    oldest_unapplied: dict[str, datetime]


def read_fleet(conn: Connection, seen_since: datetime) -> FleetRows:
    """The processes seen since ``seen_since``, read in the caller's transaction."""
    log = t.change_log
    sequence = int(conn.scalar(select(func.coalesce(func.max(log.c.sequence), 0))) or 0)
    rows = conn.execute(
        select(_T).where(_T.c.last_seen >= seen_since).order_by(_T.c.host, _T.c.pid)
    )
    processes = [ProcessBeat(**{c: getattr(r, c) for c in _FIELDS}) for r in rows]
    oldest: dict[str, datetime] = {}
    for process in processes:
        if process.sequence < sequence:
            at = conn.scalar(select(func.min(log.c.at)).where(log.c.sequence > process.sequence))
            if at is not None:
                oldest[process.id] = at
    return FleetRows(sequence, processes, oldest)


def change_time(conn: Connection, sequence: int) -> datetime | None:
    """When change ``sequence`` was committed (None if there is no such change)."""
    log = t.change_log
    return conn.scalar(select(log.c.at).where(log.c.sequence == sequence))


_FIELDS = tuple(ProcessBeat.__dataclass_fields__)
