"""Usage ingestion, and the jobs that keep analytics fast: rollups and retention.

Usage rollups are maintained on write: each ingested batch upserts its per-day sums in
the same transaction as its raw rows, so a rollup is never behind and the raw rows can be
pruned without losing an answer. The batch is summed in Python first, so a batch of 1,000
events costs a handful of upserts, not 1,000.

Ingestion is idempotent for events that carry an ``eventId``: a client that resends a
batch after a timeout cannot know whether the first attempt committed, so an event whose
id is already stored is skipped (counted in ``duplicates``) and only the new ones reach the
rollups. The unique index on ``usage_events.event_id`` is the final guard.

Routing decisions are written by the decision log (``store/decision_log.py``), off the
request path, so their rollup is a job instead: ``rollup_routing`` sums each closed UTC day
once and marks it in ``rollup_days``; queries read days not yet rolled up from the raw rows.

Every statement is in ``store/`` (``usage_repository.py``, ``decision_queries.py``); this
module keeps the rules. Each function that a face calls opens and commits its own unit of
work from the factory it is given (``Runtime.unit_of_work``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from pydantic import ValidationError

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput, NotFound, nearest
from modelplane.domain.models import AUTO_MODEL_ID, Model
from modelplane.domain.pricing import cost
from modelplane.domain.reader import CatalogReader
from modelplane.domain.usage import (
    LATENCY_BUCKETS,
    MAX_BATCH,
    UsageEvent,
    Window,
    from_nano,
    latency_bucket,
    to_nano,
)
from modelplane.domain.validation import field_errors, json_path
from modelplane.store.decision_queries import DecisionQueries, RoutingRollupRepository
from modelplane.store.unit_of_work import UnitOfWork
from modelplane.store.usage_repository import (
    DAILY_MEASURES,
    TOKEN_COLUMNS,
    DayKey,
    EventRow,
    UsageRepository,
)

CLOSE_GRACE = timedelta(minutes=5)
"""A day is rolled up once it ended this long ago, so late writers have landed."""
FUTURE_SKEW = timedelta(minutes=5)
MAX_REPORTED_ERRORS = 100


class UnitOfWorkFactory(Protocol):
    """Opens one transaction: ``Runtime.unit_of_work``. ``read_only`` ones are rolled back
    and never take SQLite's write lock."""

    def __call__(self, read_only: bool = False) -> UnitOfWork: ...


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
    unit_of_work: UnitOfWorkFactory, reader: CatalogReader, body: Any, now: datetime | None = None
) -> IngestResult:
    """Validate, price and store a body of usage, with its rollups, in one transaction.

    Each event is priced from ``reader`` (the catalogue as it is now) and the cost is stored
    with it: a later price change never rewrites history. A batch with any bad event is
    refused whole, naming each bad item and field, and nothing is written."""
    events = parse_batch(body)
    with unit_of_work() as uow:
        result = record_events(uow, reader, events, now)
        uow.commit()
    return result


def record_events(
    uow: UnitOfWork,
    reader: CatalogReader,
    events: Sequence[tuple[str, UsageEvent]],
    now: datetime | None = None,
) -> IngestResult:
    """``record_usage`` for events already parsed (each with its JSON path for errors),
    inside the caller's transaction ``uow``, which the caller commits."""
    moment = now or utcnow()
    rows, errors = _priced_rows(reader, events, moment)
    errors += _repeated_ids(events)
    if errors:
        raise _invalid(errors)
    repo = UsageRepository(uow.connection)
    stored = repo.add_new_events(rows)
    repo.add_to_daily(daily_sums(stored))
    total = sum((r["cost"] for r in stored), Decimal(0))
    return IngestResult(len(stored), total, len(rows) - len(stored))


def _priced_rows(
    reader: CatalogReader, events: Sequence[tuple[str, UsageEvent]], now: datetime
) -> tuple[list[EventRow], list[FieldError]]:
    models: dict[str, Model | None] = {}
    rows: list[EventRow] = []
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


def _row(event: UsageEvent, model: Model, at: datetime) -> EventRow:
    usd = cost(  # at the price in force at the event's own time: a backfill too
        model,
        event.input_tokens,
        event.output_tokens,
        event.cached_tokens,
        event.reasoning_tokens,
        at=at,
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
        "decision_id": event.decision_id,
    }


def daily_sums(rows: Sequence[EventRow]) -> dict[DayKey, list[int]]:
    """What ``rows`` add to each ``usage_daily`` row: per UTC day, model, provider and
    feature, the ``DAILY_MEASURES`` (one request each, an error if it failed, its tokens,
    its cost in nano-dollars, its latency) then a count per latency bucket. Summed here, so
    a batch of 1,000 events costs a handful of upserts, not 1,000."""
    daily: dict[DayKey, list[int]] = {}
    for r in rows:
        key = (r["at"].date(), r["model_id"], r["provider_id"], r["feature"])
        sums = daily.setdefault(key, [0] * (len(DAILY_MEASURES) + LATENCY_BUCKETS))
        measures = (
            1,
            0 if r["success"] else 1,
            *(r[c] for c in TOKEN_COLUMNS),
            to_nano(r["cost"]),
            r["latency_ms"],
        )
        for i, value in enumerate(measures):
            sums[i] += value
        sums[len(DAILY_MEASURES) + latency_bucket(r["latency_ms"])] += 1
    return daily


# Rebuilding usage rollups from raw rows -------------------------------------------------------


def rebuild_usage_rollups(
    unit_of_work: UnitOfWorkFactory, window: Window, oldest_raw: datetime
) -> None:
    """Recompute the usage rollups of ``window`` from the raw events: for a bulk load that
    bypassed ingestion, or a repair. Refused for days whose raw rows may have been pruned
    (before ``oldest_raw``), since that would erase their rollups."""
    if window.since <= oldest_raw.date():
        raise InvalidInput(
            [FieldError("since", f"raw events before {oldest_raw.date()} may be pruned")]
        )
    with unit_of_work() as uow:
        UsageRepository(uow.connection).rebuild_daily(window.since, window.until)
        uow.commit()


# Retention -----------------------------------------------------------------------------------


def retention_cutoff(retention_days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=retention_days)


def prune_usage(unit_of_work: UnitOfWorkFactory, before: datetime, chunk: int = 50_000) -> int:
    """Delete raw usage events older than ``before``, ``chunk`` rows per transaction so a
    big prune never holds a long lock. Rollups are untouched. Returns the count deleted."""
    deleted = 0
    while True:
        with unit_of_work() as uow:
            count = UsageRepository(uow.connection).delete_older(before, chunk)
            uow.commit()
        deleted += count
        if count < chunk:
            return deleted


def count_older(unit_of_work: UnitOfWorkFactory, before: datetime) -> int:
    """How many raw usage events are older than ``before`` (what a prune would delete)."""
    with unit_of_work(read_only=True) as uow:
        return UsageRepository(uow.connection).count_older(before)


# Routing rollup job --------------------------------------------------------------------------


def rollup_routing(unit_of_work: UnitOfWorkFactory, now: datetime | None = None) -> list[date]:
    """Sum every closed UTC day of the decision log not yet rolled up; return those days.
    Idempotent: run it from cron (``modelplane usage rollup``) as often as you like."""
    moment = now or utcnow()
    last = last_closed_day(moment)
    with unit_of_work() as uow:
        decisions = DecisionQueries(uow.connection)
        first = decisions.first_at()
        if first is None or first.date() > last:
            return []
        done = set(decisions.rolled_days(first.date(), last))
        todo = days_to_roll_up(first.date(), last, done)
        rollups = RoutingRollupRepository(uow.connection)
        for day in todo:
            rollups.roll_day(day, moment)
        uow.commit()
    return todo


def last_closed_day(now: datetime) -> date:
    """The last day that ended at least ``CLOSE_GRACE`` before ``now`` (a UTC moment)."""
    return (now - CLOSE_GRACE).date() - timedelta(days=1)


def days_to_roll_up(first: date, last_closed: date, done: set[date]) -> list[date]:
    """The days from ``first`` (the oldest decision's) to ``last_closed`` not in ``done``."""
    if first > last_closed:
        return []
    return [d for d in Window(first, last_closed).each_day() if d not in done]


__all__ = [
    "IngestResult",
    "UnitOfWorkFactory",
    "count_older",
    "daily_sums",
    "days_to_roll_up",
    "last_closed_day",
    "parse_batch",
    "prune_usage",
    "rebuild_usage_rollups",
    "record_events",
    "record_usage",
    "retention_cutoff",
    "rollup_routing",
]
