"""Ingestion: pricing at the moment of arrival, all-or-nothing batches, exact rollups,
retention."""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import InvalidInput
from modelplane.domain.pricing import cost
from modelplane.domain.usage import LATENCY_BUCKETS, Window, latency_bucket, to_nano
from modelplane.services.models import update_model
from modelplane.services.usage import (
    IngestResult,
    parse_batch,
    prune_usage,
    rebuild_usage_rollups,
    record_events,
    record_usage,
    rollup_routing,
)
from modelplane.store import tables as t
from modelplane.store.decision_queries import DecisionQueries
from tests.analytics.conftest import DECISIONS, NOW
from tests.support import wait_until


def _event(**overrides: Any) -> dict[str, Any]:
    return {
        "modelId": "openai:gpt-5",
        "feature": "chat",
        "inputTokens": 1000,
        "outputTokens": 500,
        "latencyMs": 120,
        **overrides,
    }


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _costs(engine: Engine) -> list[Decimal]:
    with engine.connect() as conn:
        return list(conn.scalars(select(t.usage_events.c.cost).order_by(t.usage_events.c.id)))


def test_cost_is_the_price_at_ingestion_and_a_later_price_change_keeps_it(
    runtime: Runtime,
) -> None:
    first = record_usage(runtime.unit_of_work, runtime.reader, _event())
    assert first.cost == Decimal("0.0075")  # (2.5 * 1000 + 10 * 500) / 1e6

    with runtime.unit_of_work() as uow:
        update_model(uow, "openai:gpt-5", {"pricing": {"input": 5, "output": 20}}, "test", None)
        uow.commit()
    second = record_usage(runtime.unit_of_work, runtime.reader, _event())

    assert second.cost == Decimal("0.015")  # (5 * 1000 + 20 * 500) / 1e6
    assert _costs(runtime.engine) == [Decimal("0.0075"), Decimal("0.015")]
    with runtime.engine.connect() as conn:
        nano = conn.execute(select(func.sum(t.usage_daily.c.cost_nano))).scalar_one()
    assert nano == 7_500_000 + 15_000_000


def test_a_batch_with_one_bad_event_writes_nothing_and_names_index_and_field(
    runtime: Runtime,
) -> None:
    events = [_event(), _event(), _event(), _event(inputTokens=-5)]
    with pytest.raises(InvalidInput) as caught:
        record_usage(runtime.unit_of_work, runtime.reader, {"events": events})
    assert [e.path for e in caught.value.errors] == ["events[3].inputTokens"]
    assert "greater than or equal to 0" in caught.value.errors[0].message
    for table in (t.usage_events, t.usage_daily):
        assert _count(runtime.engine, table) == 0


def test_unknown_models_are_named_with_suggestions_and_nothing_is_written(
    runtime: Runtime,
) -> None:
    events = [_event(), _event(modelId="openai:gpt5"), _event(modelId="auto")]
    with pytest.raises(InvalidInput) as caught:
        record_usage(runtime.unit_of_work, runtime.reader, {"events": events})
    errors = {e.path: e.message for e in caught.value.errors}
    assert set(errors) == {"events[1].modelId", "events[2].modelId"}
    assert "openai:gpt-5" in errors["events[1].modelId"]
    assert "router chose" in errors["events[2].modelId"]
    assert _count(runtime.engine, t.usage_events) == 0


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ([_event()], [""]),
        ({"events": "nope"}, ["events"]),
        ({"events": []}, ["events"]),
        ({"events": [_event()], "extra": 1}, ["extra"]),
        ({"events": [_event(), 7]}, ["events[1]"]),
        (
            {"events": [_event(feature="Chat!"), _event(latencyMs=None)]},
            ["events[0].feature", "events[1].latencyMs"],
        ),
        ({"events": [_event(success=True, error="boom")]}, ["events[0]"]),
        ({"events": [_event(at="2999-01-01T00:00:00Z")]}, ["events[0].at"]),
        ({"events": [_event(at="2026-03-01T00:00:00")]}, ["events[0].at"]),
        (_event(outputTokens=-1), ["outputTokens"]),
    ],
)
def test_malformed_bodies_are_refused_with_their_paths(
    runtime: Runtime, body: Any, paths: list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        record_usage(runtime.unit_of_work, runtime.reader, body)
    assert [e.path for e in caught.value.errors] == paths


def _random_events(rng: random.Random, n: int) -> list[dict[str, Any]]:
    models = [
        "openai:gpt-5",
        "openai:gpt-5-mini",
        "anthropic:claude-haiku-4.5",
        "google:gemini-2.5-flash",
    ]
    start = datetime(2026, 2, 20, tzinfo=UTC)
    out = []
    for _ in range(n):
        ok = rng.random() > 0.1
        out.append(
            {
                "modelId": rng.choice(models),
                "feature": rng.choice(["chat", "title", "auto_router"]),
                "inputTokens": rng.randrange(0, 50_000),
                "outputTokens": rng.randrange(0, 8_000),
                "cachedTokens": rng.randrange(0, 3) * rng.randrange(0, 20_000),
                "reasoningTokens": rng.randrange(0, 2) * rng.randrange(0, 5_000),
                "latencyMs": int(rng.lognormvariate(6, 1.2)),
                "success": ok,
                **({} if ok else {"error": "upstream 500"}),
                "at": (start + timedelta(seconds=rng.randrange(0, 8 * 86400))).isoformat(),
            }
        )
    return out


def _raw_aggregates(engine: Engine) -> dict[Any, tuple[int, ...]]:
    """``usage_daily`` computed in Python from the raw rows."""
    daily: dict[Any, list[int]] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(t.usage_events)).mappings():
            key = (r["at"].date(), r["model_id"], r["provider_id"], r["feature"])
            sums = daily.setdefault(key, [0] * (8 + LATENCY_BUCKETS))
            values = (
                1,
                0 if r["success"] else 1,
                r["input_tokens"],
                r["output_tokens"],
                r["cached_tokens"],
                r["reasoning_tokens"],
                to_nano(r["cost"]),
                r["latency_ms"],
            )
            for i, v in enumerate(values):
                sums[i] += v
            sums[8 + latency_bucket(r["latency_ms"])] += 1
    return {k: tuple(v) for k, v in daily.items()}


def _rollups(engine: Engine) -> dict[Any, tuple[int, ...]]:
    with engine.connect() as conn:
        return {
            tuple(r[:4]): tuple(int(v) for v in r[4:]) for r in conn.execute(select(t.usage_daily))
        }


def test_rollups_equal_the_raw_aggregates_after_many_batches(runtime: Runtime) -> None:
    rng = random.Random(8)
    events = _random_events(rng, 600)
    for start in range(0, len(events), 97):  # uneven batches that share rollup rows
        record_usage(
            runtime.unit_of_work, runtime.reader, {"events": events[start : start + 97]}, now=NOW
        )
    raw = _raw_aggregates(runtime.engine)
    assert sum(v[0] for v in raw.values()) == 600
    assert _rollups(runtime.engine) == raw

    # The cost of each row is the catalogue's arithmetic, rounded once to 1e-9 USD.
    gpt5 = runtime.reader.get("openai:gpt-5").pricing
    first = next(e for e in events if e["modelId"] == "openai:gpt-5")
    expected = cost(
        gpt5,
        first["inputTokens"],
        first["outputTokens"],
        first["cachedTokens"],
        first["reasoningTokens"],
    )
    with runtime.engine.connect() as conn:
        stored = conn.execute(
            select(t.usage_events.c.cost)
            .where(t.usage_events.c.model_id == "openai:gpt-5")
            .order_by(t.usage_events.c.id)
            .limit(1)
        ).scalar_one()
    assert to_nano(stored) == to_nano(expected)

    rebuild_usage_rollups(  # a rebuild from raw rows gives the same rollups
        runtime.unit_of_work,
        Window(NOW.date().replace(day=1) - timedelta(days=15), NOW.date()),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert _rollups(runtime.engine) == raw


def test_routing_rollups_equal_the_raw_decision_counts_day_by_day(dataset: Runtime) -> None:
    rolled_days = rollup_routing(dataset.unit_of_work, now=NOW.replace(day=10))
    assert len(rolled_days) == 9  # 1 to 9 March: every closed day from the first decision
    r, m = t.routing_daily.c, t.routing_model_daily.c
    with dataset.engine.connect() as conn:
        for day in rolled_days:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            end = start + timedelta(days=1)
            raw = DecisionQueries(conn).raw_counts(start, end, by_model=False)
            rolled = conn.execute(select(t.routing_daily).where(r.day == day))
            assert sorted(tuple(row[1:]) for row in rolled) == sorted(tuple(x) for x in raw)
            raw_by_model = DecisionQueries(conn).raw_counts(start, end)
            rolled_by_model = conn.execute(
                select(
                    m.primary_category,
                    m.complexity,
                    m.tier,
                    m.selected_model_id,
                    m.decisions,
                    m.exploration,
                    m.sticky,
                    m.fallback,
                    m.errors,
                ).where(m.day == day)
            )
            assert sorted(tuple(x) for x in rolled_by_model) == sorted(
                tuple(x) for x in raw_by_model
            )
        totals = [
            conn.execute(select(func.sum(table.c.decisions))).scalar_one()
            for table in (t.routing_daily, t.routing_model_daily)
        ]
    assert totals == [len(DECISIONS), len(DECISIONS)]


def test_concurrent_batches_on_the_same_rollup_rows_all_count(runtime: Runtime) -> None:
    errors: list[BaseException] = []

    def send(worker: int) -> None:
        try:
            for _ in range(5):
                events = [_event(userId=f"w{worker}", at="2026-03-01T10:00:00Z")] * 20
                record_usage(runtime.unit_of_work, runtime.reader, {"events": events}, now=NOW)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    rollups = _rollups(runtime.engine)
    assert [v[:2] for v in rollups.values()] == [(4 * 5 * 20, 0)]
    assert rollups == _raw_aggregates(runtime.engine)


def test_prune_deletes_old_raw_events_and_keeps_the_rollups(runtime: Runtime) -> None:
    old = [_event(at="2026-01-01T00:00:00Z"), _event(at="2026-01-02T00:00:00Z")]
    new = [_event(at="2026-03-01T00:00:00Z")]
    record_usage(runtime.unit_of_work, runtime.reader, {"events": old + new}, now=NOW)
    before = _rollups(runtime.engine)

    deleted = prune_usage(runtime.unit_of_work, datetime(2026, 2, 1, tzinfo=UTC), chunk=1)

    assert deleted == 2
    assert _count(runtime.engine, t.usage_events) == 1
    assert _rollups(runtime.engine) == before
    with pytest.raises(InvalidInput):
        rebuild_usage_rollups(
            runtime.unit_of_work,
            Window(NOW.date().replace(day=1), NOW.date()),
            datetime(2026, 3, 1, tzinfo=UTC),
        )


# Resends: events with an eventId are stored once ---------------------------------------------


def _with_ids(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "eventId": str(uuid.uuid4())} for e in events]


def _send(runtime: Runtime, events: list[dict[str, Any]]) -> IngestResult:
    result = record_usage(runtime.unit_of_work, runtime.reader, {"events": events}, now=NOW)
    return result


def test_the_same_batch_sent_twice_records_its_events_and_cost_once(runtime: Runtime) -> None:
    events = _with_ids(_random_events(random.Random(81), 120))

    first = _send(runtime, events)
    again = _send(runtime, events)

    assert (first.accepted, first.duplicates) == (120, 0)
    assert (again.accepted, again.duplicates, again.cost) == (0, 120, Decimal(0))
    assert _count(runtime.engine, t.usage_events) == 120
    assert sum(_costs(runtime.engine), Decimal(0)) == first.cost
    raw = _raw_aggregates(runtime.engine)
    assert sum(v[0] for v in raw.values()) == 120
    assert _rollups(runtime.engine) == raw


def test_a_resend_stores_only_its_new_events_and_events_without_ids_every_time(
    runtime: Runtime,
) -> None:
    events = _with_ids([_event(latencyMs=10 * i) for i in range(10)])
    anonymous = [_event(inputTokens=7)]
    _send(runtime, events[:6] + anonymous)

    result = _send(runtime, events + anonymous)

    assert (result.accepted, result.duplicates) == (4 + 1, 6)
    assert result.cost == 4 * Decimal("0.0075") + cost(
        runtime.reader.get("openai:gpt-5").pricing, 7, 500, 0, 0
    )
    with runtime.engine.connect() as conn:
        ids = list(conn.scalars(select(t.usage_events.c.event_id)))
    assert sorted(i for i in ids if i is not None) == sorted(e["eventId"] for e in events)
    assert ids.count(None) == 2
    assert _rollups(runtime.engine) == _raw_aggregates(runtime.engine)


def test_a_repeated_event_id_in_one_batch_is_refused_naming_both_indexes(
    runtime: Runtime,
) -> None:
    events = _with_ids([_event() for _ in range(5)])
    events[3] = {**events[3], "eventId": events[1]["eventId"]}
    events[4] = {**events[4], "eventId": events[1]["eventId"]}

    with pytest.raises(InvalidInput) as caught:
        record_usage(runtime.unit_of_work, runtime.reader, {"events": events})

    assert {e.path: e.message for e in caught.value.errors} == {
        "events[3].eventId": "repeats the eventId of events[1]",
        "events[4].eventId": "repeats the eventId of events[1]",
    }
    for table in (t.usage_events, t.usage_daily):
        assert _count(runtime.engine, table) == 0


@pytest.mark.parametrize(
    ("event_id", "path"), [("", "events[0].eventId"), ("x" * 101, "events[0].eventId")]
)
def test_an_event_id_must_be_1_to_100_characters(
    runtime: Runtime, event_id: str, path: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        record_usage(runtime.unit_of_work, runtime.reader, {"events": [_event(eventId=event_id)]})
    assert [e.path for e in caught.value.errors] == [path]


def _wait_until_blocked(runtime: Runtime) -> None:
    """Until another transaction waits on a lock: on PostgreSQL, the resend's insert waiting
    on the unique index entries of the uncommitted first attempt. SQLite shows no waiter, and
    there the resend waits for the write lock before it looks, so any head start will do."""
    if runtime.engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )

    def blocked() -> bool:
        with runtime.engine.connect() as conn:
            return bool(conn.execute(waiting).scalar_one())

    wait_until(blocked)


def test_a_resend_racing_an_uncommitted_first_attempt_is_stored_once(runtime: Runtime) -> None:
    """The first attempt has inserted but not committed when the resend arrives (its answer
    was slow, so the client retried). The resend, with three events the first lacked, waits
    for it, then stores only those three."""
    events = _with_ids(_random_events(random.Random(82), 40))
    results: list[IngestResult] = []
    errors: list[BaseException] = []

    def resend() -> None:
        try:
            results.append(_send(runtime, events + extra))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    extra = _with_ids(_random_events(random.Random(83), 3))
    with runtime.unit_of_work() as uow:
        first = record_events(uow, runtime.reader, parse_batch({"events": events}), now=NOW)
        racer = threading.Thread(target=resend)
        racer.start()
        _wait_until_blocked(runtime)
        uow.commit()
    racer.join(30)

    assert errors == []
    assert [(r.accepted, r.duplicates) for r in results] == [(3, 40)]
    assert first.accepted == 40
    assert _count(runtime.engine, t.usage_events) == 43
    assert sum(_costs(runtime.engine), Decimal(0)) == first.cost + results[0].cost
    assert _rollups(runtime.engine) == _raw_aggregates(runtime.engine)
