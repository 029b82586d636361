"""Rows of a catalogue sync: each model's per-field provenance, and the log of sync runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from modelplane.domain.catalogue_sources import SyncRun
from modelplane.store import tables as t


class ProvenanceRepository:
    """``{field: {"source", "value", "confirmedAt"}}`` per model, one row each."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def all(self) -> dict[str, dict[str, Any]]:
        rows = self._conn.execute(select(t.model_provenance))
        return {r.model_id: dict(r.fields) for r in rows}

    def of(self, model_id: str) -> dict[str, Any]:
        """One model's fields (none recorded: empty)."""
        table = t.model_provenance
        row = self._conn.execute(select(table.c.fields).where(table.c.model_id == model_id)).first()
        return dict(row.fields) if row is not None else {}

    def put_many(self, fields: dict[str, dict[str, Any]]) -> None:
        """Replace the rows of these models (two statements, whatever their number)."""
        if not fields:
            return
        ids = list(fields)
        table = t.model_provenance
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self._conn.execute(table.delete().where(table.c.model_id.in_(chunk)))
        self._conn.execute(
            table.insert(), [{"model_id": key, "fields": value} for key, value in fields.items()]
        )


class SyncRunRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, run: SyncRun) -> int:
        result = self._conn.execute(
            t.sync_runs.insert().values(
                source=run.source,
                location=run.location,
                started_at=run.started_at,
                finished_at=run.finished_at,
                author=run.author,
                dry_run=run.dry_run,
                applied=run.applied,
                counts=run.counts,
                errors=run.errors,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def recent(self, limit: int = 50) -> list[SyncRun]:
        c = t.sync_runs.c
        query = select(t.sync_runs).order_by(c.started_at.desc(), c.id.desc()).limit(limit)
        return [_run(r) for r in self._conn.execute(query)]

    def latest_per_source(self) -> list[SyncRun]:
        c = t.sync_runs.c
        newest = select(func.max(c.id)).group_by(c.source).scalar_subquery()
        query = select(t.sync_runs).where(c.id.in_(newest)).order_by(c.source)
        return [_run(r) for r in self._conn.execute(query)]


def _run(row: Any) -> SyncRun:
    return SyncRun(
        id=row.id,
        source=row.source,
        location=row.location,
        started_at=row.started_at,
        finished_at=row.finished_at,
        author=row.author,
        dry_run=row.dry_run,
        applied=row.applied,
        counts=dict(row.counts),
        errors=list(row.errors),
    )
