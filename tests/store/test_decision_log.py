"""The decision log's writer: rows are buffered and written in batches, and none is lost
on a flush or a clean close."""

from __future__ import annotations

import time

from sqlalchemy import Engine, func, select

from modelplane.bootstrap import Runtime
from modelplane.router import RouteRequest
from modelplane.services.routing import decision_row, preview
from modelplane.store import tables as t
from modelplane.store.decision_log import DecisionLog


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.routing_decisions)).scalar_one())


def _rows(runtime: Runtime, n: int) -> list[dict[str, object]]:
    decision = preview(runtime, RouteRequest.model_validate({"text": "hello", "seed": 1}))
    return [decision_row(f"hello {i}", decision, False, None) for i in range(n)]


def test_close_writes_every_recorded_row(runtime: Runtime) -> None:
    # A long interval and a batch larger than the rows: only close can have written them.
    log = DecisionLog(runtime.engine, interval=3600, batch=10_000)
    before = _count(runtime.engine)
    for row in _rows(runtime, 700):
        log.record(row)
    log.close()
    assert _count(runtime.engine) == before + 700
    assert log.written == 700 and log.dropped == 0


def test_flush_writes_what_was_recorded_before_it(runtime: Runtime) -> None:
    log = DecisionLog(runtime.engine, interval=3600, batch=10_000)
    before = _count(runtime.engine)
    try:
        for row in _rows(runtime, 3):
            log.record(row)
        log.flush()
        assert _count(runtime.engine) == before + 3
    finally:
        log.close()


def test_a_full_batch_is_written_without_a_flush(runtime: Runtime) -> None:
    log = DecisionLog(runtime.engine, interval=3600, batch=5)
    before = _count(runtime.engine)
    try:
        for row in _rows(runtime, 5):
            log.record(row)
        for _ in range(200):  # the fifth row wakes the writer; the interval never comes
            if _count(runtime.engine) == before + 5:
                break
            time.sleep(0.05)
        assert _count(runtime.engine) == before + 5
    finally:
        log.close()


def test_rows_beyond_the_capacity_are_dropped_and_counted(runtime: Runtime) -> None:
    log = DecisionLog(runtime.engine, interval=3600, batch=10_000, capacity=4)
    before = _count(runtime.engine)
    for row in _rows(runtime, 6):
        log.record(row)
    log.close()
    assert log.dropped == 2
    assert _count(runtime.engine) == before + 4
