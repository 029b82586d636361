"""Usage ingestion, and the jobs that keep analytics fast: rollups and retention.

Usage rollups are maintained on write: each ingested batch upserts its per-day sums in
the same transaction as its raw rows, so a rollup is never behind and the raw rows can be
pruned without losing an answer. The batch is summed in Python first, so a batch of 1,000
events costs a handful of upserts, not 1,000.

Ingestion is idempotent for events that carry an ``eventId``: a client that resends a
batch after a timeout cannot know whether the first attempt committed, so an event whose
id is already stored is skipped (counted in ``duplicates``) and only the new ones reach the
rollups. The unique index on ``usage_events.event_id`` is the final guard.

Routing decisions are written by the router (``router/decision_log.py``), one row at a
time on the request path, so their rollup is a job instead: ``rollup_routing`` sums each
closed UTC day once and marks it in ``rollup_days``; queries read days not yet rolled up
from the raw rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from pydantic import ValidationError
from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Integer,
    Row,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.elements import ColumnElement

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, NotFound, nearest
from modelplane.domain.models import AUTO_MODEL_ID, Model
from modelplane.domain.pricing import cost
from modelplane.domain.reader import CatalogReader
from modelplane.domain.usage import (
    LATENCY_BOUNDS_MS,
    LATENCY_BUCKETS,
    MAX_BATCH,
    UsageEvent,
    Window,
    bucket_column,
    from_nano,
    latency_bucket,
    to_nano,
)
from modelplane.domain.validation import field_errors, json_path
from modelplane.store import tables as t
from modelplane.store.unit_of_work import UnitOfWork

ROUTING = "routing"
"""The ``rollup_days`` kind of the routing rollup."""
CLOSE_GRACE = timedelta(minutes=5)
"""A day is rolled up once it ended this long ago, so late writers have landed."""
FUTURE_SKEW = timedelta(minutes=5)
MAX_REPORTED_ERRORS = 100

_USAGE_KEY = ("day", "model_id", "provider_id", "feature")
_ROUTING_KEY = ("day", "primary_category", "complexity", "tier", "selected_model_id")


@dataclass(frozen=True)
class IngestResult:
    """``accepted`` events were stored now, costing ``cost`` in all; ``duplicates`` had
    been stored before (their ``eventId`` was known) and were skipped."""

    accepted: int
    cost: Decimal
    duplicates: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "costUsd": str(self.cost),
        }


# Parsing -------------------------------------------------------------------------------------


def parse_batch(body: Any) -> list[tuple[str, UsageEvent]]:
    """One event (``{...}``) or a batch (``{"events": [...]}``), each with the JSON path of
    its place in the body (``""`` or ``"events[3]"``). Every problem is reported at once."""
    if not isinstance(body, dict):
        raise InvalidInput([FieldError("", 'expected one event or {"events": [...]}')])
    if "events" not in body:
        return [("", _validated("", body))]
    errors = [FieldError(k, "unexpected field beside events") for k in body if k != "events"]
    items = body["events"]
    if not isinstance(items, list) or not items:
        errors.append(FieldError("events", "must be a non-empty list of events"))
    elif len(items) > MAX_BATCH:
        errors.append(FieldError("events", f"at most {MAX_BATCH} events per request"))
    if errors:
        raise InvalidInput(errors)
    parsed: list[tuple[str, UsageEvent]] = []
    for index, item in enumerate(items):
        prefix = f"events[{index}]"
        try:
            parsed.append((prefix, UsageEvent.model_validate(item)))
        except ValidationError as exc:
            errors += field_errors(exc, prefix)
    if errors:
        raise _invalid(errors)
    return parsed


def _validated(prefix: str, item: Any) -> UsageEvent:
    try:
        return UsageEvent.model_validate(item)
    except ValidationError as exc:
        raise _invalid(field_errors(exc, prefix)) from None


def _invalid(errors: list[FieldError]) -> InvalidInput:
    shown = errors[:MAX_REPORTED_ERRORS]
    if len(errors) > len(shown):
        shown.append(FieldError("", f"and {len(errors) - len(shown)} more problems"))
    return InvalidInput(shown, title="usage rejected, nothing was recorded")


# Ingestion -----------------------------------------------------------------------------------


def record_usage(
    uow: UnitOfWork, reader: CatalogReader, body: Any, now: datetime | None = None
) -> IngestResult:
    """Validate, price and store a body of usage, with its rollups, in ``uow``'s transaction.

    Each event is priced from ``reader`` (the catalogue as it is now) and the cost is stored
    with it: a later price change never rewrites history. A batch with any bad event is
    refused whole, naming each bad item and field."""
    return record_events(uow, reader, parse_batch(body), now)


def record_events(
    uow: UnitOfWork,
    reader: CatalogReader,
    events: Sequence[tuple[str, UsageEvent]],
    now: datetime | None = None,
) -> IngestResult:
    """``record_usage`` for events already parsed, each with its JSON path for errors."""
    moment = now or utcnow()
    rows, errors = _priced_rows(reader, events, moment)
    errors += _repeated_ids(events)
    if errors:
        raise _invalid(errors)
    stored = _store_new_events(uow.connection, rows)
    if stored:
        _add_to_rollups(uow.connection, stored)
    total = sum((r["cost"] for r in stored), Decimal(0))
    return IngestResult(len(stored), total, len(rows) - len(stored))


def _priced_rows(
    reader: CatalogReader, events: Sequence[tuple[str, UsageEvent]], now: datetime
) -> tuple[list[dict[str, Any]], list[FieldError]]:
    models: dict[str, Model | None] = {}
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for prefix, event in events:
        if event.model_id not in models:
            models[event.model_id] = reader.find(event.model_id)
        model = models[event.model_id]
        at = event.at or now
        if model is None:
            errors.append(FieldError(json_path(("modelId",), prefix), _unknown(reader, event)))
        if at > now + FUTURE_SKEW:
            errors.append(FieldError(json_path(("at",), prefix), "is in the future"))
        if model is not None and not errors:
            rows.append(_row(event, model, at))
    return rows, errors


def _repeated_ids(events: Sequence[tuple[str, UsageEvent]]) -> list[FieldError]:
    """An id twice in one batch is the client's mistake, not a resend: each repeat is
    refused, naming the first, e.g. ``events[4].eventId``: "repeats the eventId of
    events[1]". Only the repeat's path is named, so a client that drops refused items
    keeps the first."""
    first: dict[str, str] = {}
    errors: list[FieldError] = []
    for prefix, event in events:
        if event.event_id is None:
            continue
        seen = first.setdefault(event.event_id, prefix)
        if seen != prefix:
            path = json_path(("eventId",), prefix)
            errors.append(FieldError(path, f"repeats the eventId of {seen}"))
    return errors


def _unknown(reader: CatalogReader, event: UsageEvent) -> str:
    if event.model_id == AUTO_MODEL_ID:
        return "record the model the router chose, not 'auto'"
    ids = [m.id for m in reader.models()]
    return str(NotFound("model", event.model_id, nearest(event.model_id, ids)))


def _row(event: UsageEvent, model: Model, at: datetime) -> dict[str, Any]:
    usd = cost(
        model.pricing,
        event.input_tokens,
        event.output_tokens,
        event.cached_tokens,
        event.reasoning_tokens,
    )
    return {
        "at": at.astimezone(UTC),
        "model_id": model.id,
        "provider_id": model.provider,
        "user_id": event.user_id,
        "feature": event.feature,
        "input_tokens": event.input_tokens,
        "output_tokens": event.output_tokens,
        "cached_tokens": event.cached_tokens,
        "reasoning_tokens": event.reasoning_tokens,
        "cost": from_nano(to_nano(usd)),
        "latency_ms": event.latency_ms,
        "success": event.success,
        "error": event.error,
        "routing_decision_id": event.routing_decision_id,
        "event_id": event.event_id,
    }


def _add_to_rollups(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    daily: dict[tuple[Any, ...], list[int]] = {}
    for r in rows:
        key = (r["at"].date(), r["model_id"], r["provider_id"], r["feature"])
        sums = daily.setdefault(key, [0] * (len(_MEASURES) + LATENCY_BUCKETS))
        for i, value in enumerate(_measures(r)):
            sums[i] += value
        sums[len(_MEASURES) + latency_bucket(r["latency_ms"])] += 1
    names = (*_USAGE_KEY, *_MEASURES, *_BUCKET_COLUMNS)
    rollup = [dict(zip(names, (*k, *v), strict=True)) for k, v in sorted(daily.items())]
    _upsert(conn, t.usage_daily, _USAGE_KEY, rollup)


_TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens")
_MEASURES = ("requests", "errors", *_TOKEN_COLUMNS, "cost_nano", "latency_ms_sum")
_BUCKET_COLUMNS = tuple(bucket_column(b) for b in range(LATENCY_BUCKETS))


def _measures(r: dict[str, Any]) -> tuple[int, ...]:
    return (
        1,
        0 if r["success"] else 1,
        *(r[c] for c in _TOKEN_COLUMNS),
        to_nano(r["cost"]),
        r["latency_ms"],
    )


def _store_new_events(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert the rows whose event id is not stored yet, and return them.

    SQLite: ids already stored are filtered out first; the writer holds the write lock, so
    that is exact. PostgreSQL: the fast COPY goes first, in a savepoint. If it meets an id
    already stored (a resend), or one a concurrent resend has inserted (it waits for that
    transaction to end), the unique index fails it, and the rows go again as ``INSERT …
    ON CONFLICT (event_id) DO NOTHING RETURNING``, which skips exactly what is stored.

    Why not select the stored ids first on PostgreSQL too: that costs every batch about a
    tenth of its time, to save a failed COPY on a resend, which is rare; and it would still
    need the fallback for a resend racing an uncommitted first attempt. Why not that INSERT
    always: COPY is about 3x faster."""
    if conn.dialect.name != "postgresql":
        rows = _without_stored(conn, rows)
    elif any(r["event_id"] is not None for r in rows):
        return _copy_skipping_stored(conn, rows)
    if rows:
        _copy_events(conn, rows)
    return rows


def _copy_skipping_stored(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PostgreSQL: COPY in a savepoint; on an event id already stored, the slow, exact way."""
    try:
        with conn.begin_nested():
            _copy_events(conn, rows)
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name != _EVENT_ID_INDEX:
            raise
        return _insert_skipping_stored(conn, rows)
    return rows


_EVENT_ID_INDEX = "ix_usage_events_event_id"


def _without_stored(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose event id is not in ``usage_events``; ids are asked in chunks of 500
    (old SQLite builds allow 999 variables a statement)."""
    e = t.usage_events.c
    ids = [r["event_id"] for r in rows if r["event_id"] is not None]
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        known.update(conn.scalars(select(e.event_id).where(e.event_id.in_(chunk))))
    return [r for r in rows if r["event_id"] is None or r["event_id"] not in known]


def _insert_skipping_stored(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PostgreSQL: insert ``rows``, skipping ids stored meanwhile; return those inserted."""
    columns = list(rows[0])
    sql = (
        f"{_unnest_insert(conn, t.usage_events, columns)}"
        " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
    )
    result = conn.exec_driver_sql(sql, tuple([r[c] for r in rows] for c in columns))
    inserted = set(result.scalars())
    return [r for r in rows if r["event_id"] is None or r["event_id"] in inserted]


def _copy_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """The raw rows: COPY on PostgreSQL (the fastest way in, about 3x an INSERT of arrays),
    an executemany on SQLite."""
    if conn.dialect.name != "postgresql":
        _insert_many(conn, t.usage_events, rows)
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY usage_events ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _upsert(
    conn: Connection, table: Table, keys: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """Insert ``rows``, adding their counts to rows already there. Rows arrive sorted by
    key, so concurrent batches lock rollup rows in one order and never deadlock."""
    if rows:
        _insert_many(conn, table, rows, keys)


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


# Rebuilding usage rollups from raw rows -------------------------------------------------------


def utc_day(column: Any, dialect: str) -> ColumnElement[date]:
    """The UTC calendar day of a timestamp column, as a date, in SQL."""
    if dialect == "postgresql":
        return type_coerce(func.date(func.timezone("UTC", column)), Date)
    return type_coerce(func.date(column), Date)  # SQLite keeps UTC text


def rebuild_usage_rollups(uow: UnitOfWork, window: Window, oldest_raw: datetime) -> None:
    """Recompute the usage rollups of ``window`` from the raw events: for a bulk load that
    bypassed ingestion, or a repair. Refused for days whose raw rows may have been pruned
    (before ``oldest_raw``), since that would erase their rollups."""
    if window.since <= oldest_raw.date():
        raise InvalidInput(
            [FieldError("since", f"raw events before {oldest_raw.date()} may be pruned")]
        )
    conn = uow.connection
    e = t.usage_events.c
    start = datetime.combine(window.since, time(), UTC)
    end = datetime.combine(window.until + timedelta(days=1), time(), UTC)
    day = utc_day(e.at, conn.dialect.name)
    keys = [day, e.model_id, e.provider_id, e.feature]
    in_window = (e.at >= start, e.at < end)
    conn.execute(
        delete(t.usage_daily).where(
            t.usage_daily.c.day >= window.since, t.usage_daily.c.day <= window.until
        )
    )
    failed = case((e.success, 0), else_=1)
    nano = cast(func.round(e.cost * 1_000_000_000), Integer)
    sums = [func.sum(e[c]) for c in _TOKEN_COLUMNS]
    buckets = [
        func.sum(case((_in_bucket(e.latency_ms, b), 1), else_=0)) for b in range(LATENCY_BUCKETS)
    ]
    daily = select(
        *keys,
        func.count(),
        func.sum(failed),
        *sums,
        func.sum(nano),
        func.sum(e.latency_ms),
        *buckets,
    ).where(*in_window)
    conn.execute(
        insert(t.usage_daily).from_select([c.name for c in t.usage_daily.c], daily.group_by(*keys))
    )


def _in_bucket(latency: Any, bucket: int) -> ColumnElement[bool]:
    """SQL for ``latency_bucket(latency) == bucket``."""
    lower = LATENCY_BOUNDS_MS[bucket - 1] if bucket > 0 else None
    upper = LATENCY_BOUNDS_MS[bucket] if bucket < len(LATENCY_BOUNDS_MS) else None
    if lower is None:
        return latency <= upper  # type: ignore[no-any-return]
    if upper is None:
        return latency > lower  # type: ignore[no-any-return]
    return and_(latency > lower, latency <= upper)


# Retention -----------------------------------------------------------------------------------


def retention_cutoff(retention_days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=retention_days)


def prune_usage(engine: Engine, before: datetime, chunk: int = 50_000) -> int:
    """Delete raw usage events older than ``before``, ``chunk`` rows per transaction so a
    big prune never holds a long lock. Rollups are untouched. Returns the count deleted."""
    e = t.usage_events.c
    deleted = 0
    while True:
        oldest = select(e.id).where(e.at < before).limit(chunk)
        with UnitOfWork(engine) as uow:
            count = uow.connection.execute(delete(t.usage_events).where(e.id.in_(oldest)))
            uow.commit()
        deleted += count.rowcount
        if count.rowcount < chunk:
            return deleted


def count_older(conn: Connection, before: datetime) -> int:
    e = t.usage_events.c
    return int(conn.execute(select(func.count()).where(e.at < before)).scalar_one())


# Routing rollup job --------------------------------------------------------------------------


def rollup_routing(uow: UnitOfWork, now: datetime | None = None) -> list[date]:
    """Sum every closed UTC day of the decision log not yet rolled up; return those days.
    Idempotent: run it from cron (``modelplane usage rollup``) as often as you like."""
    conn = uow.connection
    moment = now or utcnow()
    last_closed = (moment - CLOSE_GRACE).date() - timedelta(days=1)
    first = conn.execute(select(func.min(t.routing_decisions.c.at))).scalar()
    if first is None:
        return []
    done = set(rolled_days(conn, first.date(), last_closed))
    todo = [
        d
        for d in Window(first.date(), max(first.date(), last_closed)).each_day()
        if d <= last_closed and d not in done
    ]
    for day in todo:
        _roll_routing_day(conn, day, moment)
    return todo


def rolled_days(conn: Connection, since: date, until: date) -> list[date]:
    r = t.rollup_days.c
    query = select(r.day).where(r.kind == ROUTING, r.day >= since, r.day <= until)
    return list(conn.scalars(query))


def _roll_routing_day(conn: Connection, day: date, now: datetime) -> None:
    start = datetime.combine(day, time(), UTC)
    by_model = routing_counts(conn, start, start + timedelta(days=1))
    totals: dict[tuple[str, str, str], list[int]] = {}
    for row in by_model:
        category, complexity, tier, _model, *counts = tuple(row)
        sums = totals.setdefault((category, complexity, tier), [0] * len(_ROUTING_COUNTS))
        for i, value in enumerate(counts):
            sums[i] += int(value)
    for table in (t.routing_daily, t.routing_model_daily):
        conn.execute(delete(table).where(table.c.day == day))
    keys = ("primary_category", "complexity", "tier")
    if by_model:
        conn.execute(
            insert(t.routing_model_daily),
            [
                dict(
                    zip(
                        ("day", *keys, "selected_model_id", *_ROUTING_COUNTS),
                        (day, *r),
                        strict=True,
                    )
                )
                for r in by_model
            ],
        )
        conn.execute(
            insert(t.routing_daily),
            [
                dict(zip(("day", *keys, *_ROUTING_COUNTS), (day, *k, *v), strict=True))
                for k, v in totals.items()
            ],
        )
    conn.execute(insert(t.rollup_days).values(kind=ROUTING, day=day, rolled_at=now))


_ROUTING_COUNTS = ("decisions", "exploration", "sticky", "fallback", "errors")


def routing_counts(
    conn: Connection,
    start: datetime,
    end: datetime,
    model_ids: Sequence[str] | None = None,
    by_model: bool = True,
) -> list[Row[Any]]:
    """Raw decisions in ``[start, end)`` grouped as the routing rollups group them: category,
    complexity, tier (``''`` for none) and, if ``by_model``, the chosen model; then
    decisions, exploration, sticky, fallback and error counts."""
    d = t.routing_decisions.c
    tier = func.coalesce(d.tier, literal(""))
    keys = [d.primary_category, d.complexity, tier, *([d.selected_model_id] if by_model else [])]
    query = select(
        *keys,
        func.count(),
        func.sum(case((d.exploration, 1), else_=0)),
        func.sum(case((d.is_sticky, 1), else_=0)),
        func.sum(case((d.is_fallback, 1), else_=0)),
        func.sum(case((d.error.is_(None), 0), else_=1)),
    ).where(d.at >= start, d.at < end)
    if model_ids is not None:
        query = query.where(d.selected_model_id.in_(model_ids))
    return list(conn.execute(query.group_by(*keys)))


__all__ = [
    "IngestResult",
    "count_older",
    "parse_batch",
    "prune_usage",
    "rebuild_usage_rollups",
    "record_events",
    "record_usage",
    "retention_cutoff",
    "rollup_routing",
    "routing_counts",
    "utc_day",
]
