"""Rows of the usage tables: raw events in (COPY on PostgreSQL), the per-day rollups kept
on write, a rebuild of those rollups from the raw rows, and retention.

The rules (what an event costs, which ids are resends, which days may be rebuilt) are the
service's (``services/usage.py``); this module only knows how the rows are written fast on
each database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeAlias

import psycopg
from sqlalchemy import (
    Connection,
    Date,
    Integer,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    type_coerce,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ColumnElement

from modelplane.domain.usage import LATENCY_BOUNDS_MS, LATENCY_BUCKETS, bucket_column
from modelplane.store import tables as t

EventRow: TypeAlias = dict[str, Any]
"""One ``usage_events`` row by column name, values as the column types store them (aware
UTC datetimes, Decimals): the PostgreSQL paths bypass SQLAlchemy's type processing."""
DayKey: TypeAlias = tuple[date, str, str, str]
"""A ``usage_daily`` key: day, model, provider, feature."""

TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")
DAILY_MEASURES = ("requests", "errors", *TOKEN_COLUMNS, "cost_nano", "latency_ms_sum")
"""The sums of a ``usage_daily`` row, in the order ``add_to_daily`` takes them; the latency
bucket counts (``lat_00`` …) follow."""
_DAILY_KEY = ("day", "model_id", "provider_id", "feature")
_BUCKET_COLUMNS = tuple(bucket_column(b) for b in range(LATENCY_BUCKETS))
_EVENT_ID_INDEX = "ix_usage_events_event_id"


class UsageRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # Raw events ------------------------------------------------------------------------------

    def add_new_events(self, rows: list[EventRow]) -> list[EventRow]:
        """Insert the rows whose event id is not stored yet, and return them.

        SQLite: ids already stored are filtered out first; the writer holds the write lock,
        so that is exact. PostgreSQL: the fast COPY goes first, in a savepoint. If it meets
        an id already stored (a resend), or one a concurrent resend has inserted (it waits
        for that transaction to end), the unique index fails it, and the rows go again as
        ``INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING``, which skips exactly what
        is stored.

        Why not select the stored ids first on PostgreSQL too: that costs every batch about
        a tenth of its time, to save a failed COPY on a resend, which is rare; and it would
        still need the fallback for a resend racing an uncommitted first attempt. Why not
        that INSERT always: COPY is about 3x faster."""
        if not self._postgres:
            rows = self._without_stored(rows)
        elif any(r["event_id"] is not None for r in rows):
            return self._copy_skipping_stored(rows)
        if rows:
            self._copy_events(rows)
        return rows

    @property
    def _postgres(self) -> bool:
        return self._conn.dialect.name == "postgresql"

    def _copy_skipping_stored(self, rows: list[EventRow]) -> list[EventRow]:
        """PostgreSQL: COPY in a savepoint; on an event id already stored, the slow, exact
        way."""
        try:
            with self._conn.begin_nested():
                self._copy_events(rows)
        except psycopg.errors.UniqueViolation as exc:
            if exc.diag.constraint_name != _EVENT_ID_INDEX:
                raise
            return self._insert_skipping_stored(rows)
        return rows

    def _without_stored(self, rows: list[EventRow]) -> list[EventRow]:
        """The rows whose event id is not in ``usage_events``; ids are asked in chunks of
        500 (old SQLite builds allow 999 variables a statement)."""
        e = t.usage_events.c
        ids = [r["event_id"] for r in rows if r["event_id"] is not None]
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            known.update(self._conn.scalars(select(e.event_id).where(e.event_id.in_(chunk))))
        return [r for r in rows if r["event_id"] is None or r["event_id"] not in known]

    def _insert_skipping_stored(self, rows: list[EventRow]) -> list[EventRow]:
        """PostgreSQL: insert ``rows``, skipping ids stored meanwhile; return those
        inserted."""
        columns = list(rows[0])
        sql = (
            f"{_unnest_insert(self._conn, t.usage_events, columns)}"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
        )
        result = self._conn.exec_driver_sql(sql, tuple([r[c] for r in rows] for c in columns))
        inserted = set(result.scalars())
        return [r for r in rows if r["event_id"] is None or r["event_id"] in inserted]

    def _copy_events(self, rows: list[EventRow]) -> None:
        """The raw rows: COPY on PostgreSQL (the fastest way in, about 3x an INSERT of
        arrays), an executemany on SQLite."""
        if not self._postgres:
            _insert_many(self._conn, t.usage_events, rows)
            return
        columns = list(rows[0])
        driver = self._conn.connection.driver_connection
        assert driver is not None
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY usage_events ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[c] for c in columns])

    # Daily rollups ---------------------------------------------------------------------------

    def add_to_daily(self, sums: Mapping[DayKey, Sequence[int]]) -> None:
        """Add per-key sums (``DAILY_MEASURES`` then one count per latency bucket) to the
        ``usage_daily`` rows, creating those not there yet. Keys are written sorted, so
        concurrent batches lock rollup rows in one order and never deadlock."""
        if not sums:
            return
        names = (*_DAILY_KEY, *DAILY_MEASURES, *_BUCKET_COLUMNS)
        rows = [dict(zip(names, (*k, *v), strict=True)) for k, v in sorted(sums.items())]
        _insert_many(self._conn, t.usage_daily, rows, _DAILY_KEY)

    def rebuild_daily(self, since: date, until: date) -> None:
        """Replace the rollups of the days ``since`` … ``until`` by sums of the raw events
        of those days."""
        e = t.usage_events.c
        d = t.usage_daily.c
        start = datetime.combine(since, time(), UTC)
        end = datetime.combine(until + timedelta(days=1), time(), UTC)
        day = _utc_day(e.at, self._conn.dialect.name)
        keys = [day, e.model_id, e.provider_id, e.feature]
        self._conn.execute(delete(t.usage_daily).where(d.day >= since, d.day <= until))
        failed = case((e.success, 0), else_=1)
        nano = cast(func.round(e.cost * 1_000_000_000), Integer)
        sums = [func.sum(e[c]) for c in TOKEN_COLUMNS]
        buckets = [
            func.sum(case((_in_bucket(e.latency_ms, b), 1), else_=0))
            for b in range(LATENCY_BUCKETS)
        ]
        daily = select(
            *keys,
            func.count(),
            func.sum(failed),
            *sums,
            func.sum(nano),
            func.sum(e.latency_ms),
            *buckets,
        ).where(e.at >= start, e.at < end)
        self._conn.execute(
            insert(t.usage_daily).from_select(
                [c.name for c in t.usage_daily.c], daily.group_by(*keys)
            )
        )

    # Retention -------------------------------------------------------------------------------

    def delete_older(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` raw events older than ``before``; return how many."""
        e = t.usage_events.c
        oldest = select(e.id).where(e.at < before).limit(limit)
        return self._conn.execute(delete(t.usage_events).where(e.id.in_(oldest))).rowcount

    def count_older(self, before: datetime) -> int:
        e = t.usage_events.c
        return int(self._conn.execute(select(func.count()).where(e.at < before)).scalar_one())


def _insert_many(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    conflict_keys: Sequence[str] | None = None,
) -> None:
    """Insert ``rows`` (all with the same keys); with ``conflict_keys``, add every other
    column to the row already there.

    Why two paths: on PostgreSQL an executemany is one statement per row, and a many-row
    VALUES list makes the driver re-parse thousands of placeholders per batch. One
    ``INSERT … SELECT FROM unnest(<one array per column>)`` is a single statement of fixed
    text, so 1,000 rows cost about what one does. SQLite runs in-process, where executemany
    is already cheap. Values must be what the column types store (aware UTC datetimes,
    Decimals), since the arrays bypass SQLAlchemy's type processing.
    """
    columns = list(rows[0])
    others = [c for c in columns if conflict_keys is None or c not in conflict_keys]
    if conn.dialect.name != "postgresql":
        stmt = sqlite.insert(table)
        if conflict_keys is not None:
            adds = {c: table.c[c] + stmt.excluded[c] for c in others}
            stmt = stmt.on_conflict_do_update(index_elements=list(conflict_keys), set_=adds)
        conn.execute(stmt, rows)
        return
    sql = _unnest_insert(conn, table, columns)
    if conflict_keys is not None:
        sets = ", ".join(f"{c} = {table.name}.{c} + EXCLUDED.{c}" for c in others)
        sql += f" ON CONFLICT ({', '.join(conflict_keys)}) DO UPDATE SET {sets}"
    conn.exec_driver_sql(sql, tuple([r[c] for r in rows] for c in columns))


def _unnest_insert(conn: Connection, table: Table, columns: list[str]) -> str:
    """``INSERT INTO table (a, b) SELECT * FROM unnest(%s::type_a[], %s::type_b[])``."""
    arrays = ", ".join(f"%s::{table.c[c].type.compile(dialect=conn.dialect)}[]" for c in columns)
    return f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})"


def _utc_day(column: Any, dialect: str) -> ColumnElement[date]:
    """The UTC calendar day of a timestamp column, as a date, in SQL."""
    if dialect == "postgresql":
        return type_coerce(func.date(func.timezone("UTC", column)), Date)
    return type_coerce(func.date(column), Date)  # SQLite keeps UTC text


def _in_bucket(latency: Any, bucket: int) -> ColumnElement[bool]:
    """SQL for ``latency_bucket(latency) == bucket``."""
    lower = LATENCY_BOUNDS_MS[bucket - 1] if bucket > 0 else None
    upper = LATENCY_BOUNDS_MS[bucket] if bucket < len(LATENCY_BOUNDS_MS) else None
    if lower is None:
        return latency <= upper  # type: ignore[no-any-return]
    if upper is None:
        return latency > lower  # type: ignore[no-any-return]
    return and_(latency > lower, latency <= upper)


__all__ = ["DAILY_MEASURES", "TOKEN_COLUMNS", "DayKey", "EventRow", "UsageRepository"]
