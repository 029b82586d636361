"""The UsageRecorder against the real app served by uvicorn, and its memory bound."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.client import UsageRecorder
from modelplane.store import tables as t
from tests.support import free_port, wait_until


@contextmanager
def _serving(app: ASGIApp) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_until(lambda: srv.started)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def server(runtime: Runtime) -> Iterator[str]:
    with _serving(create_app(runtime)) as url:
        yield url


def _stored(runtime: Runtime) -> list[tuple[str, int]]:
    e = t.usage_events.c
    with runtime.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(e.user_id, e.input_tokens).order_by(e.id))]


def test_the_recorder_delivers_everything_it_accepted(
    server: str, runtime: Runtime, tokens: dict[str, dict[str, str]]
) -> None:
    token = tokens["ingest"]["Authorization"].removeprefix("Bearer ")
    with UsageRecorder(server, token, batch_size=7, flush_interval=30) as recorder:
        for i in range(50):
            recorder.record(
                "openai:gpt-5-mini",
                feature="chat",
                user_id=f"u{i}",
                input_tokens=i,
                output_tokens=1,
                latency_ms=10,
            )
        recorder.record("openai:no-such-model", feature="chat", latency_ms=1)
        assert recorder.flush(timeout=30)
    assert (recorder.stats.accepted, recorder.stats.sent) == (51, 50)
    assert (recorder.stats.rejected, recorder.stats.dropped, recorder.stats.failed) == (1, 0, 0)
    assert sorted(_stored(runtime), key=lambda r: r[1]) == [(f"u{i}", i) for i in range(50)]


class _FirstAnswerLost:
    """Wraps the real app: the first usage request reaches it and commits, but its answer
    is held back past the client's timeout, as when a response is lost on the way."""

    def __init__(self, app: ASGIApp, hold: float) -> None:
        self._app = app
        self._hold = hold
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/v1/usage":
            await self._app(scope, receive, send)
            return
        self.requests += 1
        if self.requests > 1:
            await self._app(scope, receive, send)
            return
        held: list[Message] = []

        async def keep(message: Message) -> None:
            held.append(message)

        await self._app(scope, receive, keep)  # the batch is committed when this returns
        await asyncio.sleep(self._hold)
        for message in held:  # too late: the client gave up and its connection is gone
            await send(message)


def test_a_resend_after_a_lost_answer_is_stored_once(
    runtime: Runtime, tokens: dict[str, dict[str, str]]
) -> None:
    lossy = _FirstAnswerLost(create_app(runtime), hold=2.5)
    token = tokens["ingest"]["Authorization"].removeprefix("Bearer ")
    with (
        _serving(lossy) as url,
        UsageRecorder(url, token, batch_size=20, flush_interval=30, timeout=1.0) as recorder,
    ):
        for i in range(20):
            recorder.record(
                "openai:gpt-5",
                feature="chat",
                user_id=f"u{i}",
                input_tokens=1000,
                output_tokens=500,
                latency_ms=100,
            )
        assert recorder.flush(timeout=30)

    assert lossy.requests >= 2  # the first answer was lost, so the recorder sent again
    stats = recorder.stats
    assert (stats.accepted, stats.sent, stats.duplicates, stats.failed) == (20, 20, 20, 0)
    assert sorted(_stored(runtime)) == sorted((f"u{i}", 1000) for i in range(20))
    e, d = t.usage_events.c, t.usage_daily.c
    with runtime.engine.connect() as conn:
        assert sum(conn.scalars(select(e.cost))) == 20 * Decimal("0.0075")  # exact on SQLite
        rollup = conn.execute(select(func.sum(d.requests), func.sum(d.cost_nano))).one()
    assert tuple(rollup) == (20, 20 * 7_500_000)


class _GatedTransport(httpx.BaseTransport):
    """Stands in for the network: holds each request until the test opens the gate."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.delivered: list[str] = []
        self.ids: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        assert self.gate.wait(30)
        events = json.loads(request.content)["events"]
        self.delivered += [e["userId"] for e in events]
        self.ids += [e["eventId"] for e in events]
        return httpx.Response(200, json={"accepted": len(events), "duplicates": 0, "costUsd": "0"})


def test_a_full_queue_drops_the_oldest_events_and_counts_them() -> None:
    transport = _GatedTransport()
    client = httpx.Client(transport=transport)
    recorder = UsageRecorder(
        "http://modelplane.test", "t", batch_size=10, flush_interval=30, max_queue=50, client=client
    )
    for i in range(10):  # one full batch: the thread takes it and waits at the gate
        recorder.record("openai:gpt-5", feature="chat", user_id=f"u{i}")
    assert transport.entered.wait(10)
    for i in range(10, 90):
        recorder.record("openai:gpt-5", feature="chat", user_id=f"u{i}")

    assert recorder.pending == 50 + 10  # the queue's bound plus the batch in flight
    assert recorder.stats.dropped == 30

    transport.gate.set()
    recorder.close()
    client.close()
    assert transport.delivered == [f"u{i}" for i in range(10)] + [f"u{i}" for i in range(40, 90)]
    assert len(set(transport.ids)) == 60  # each event stamped with its own id
    assert (recorder.stats.accepted, recorder.stats.sent) == (90, 60)


def test_the_recorder_sends_decision_ids_with_usage_and_feedback_in_order(
    server: str, runtime: Runtime, tokens: dict[str, dict[str, str]]
) -> None:
    token = tokens["ingest"]["Authorization"].removeprefix("Bearer ")
    with UsageRecorder(server, token, batch_size=3, flush_interval=30) as recorder:
        for i in range(4):
            recorder.record("openai:gpt-5-mini", feature="chat", latency_ms=5, decision_id=f"d{i}")
            recorder.feedback(f"d{i}", "thumbs", 1 if i % 2 else -1, comment=f"c{i}")
        recorder.feedback("d9", "rating", 9)  # out of range: refused, the rest go
        assert recorder.flush(timeout=30)
    assert (recorder.stats.accepted, recorder.stats.sent, recorder.stats.rejected) == (9, 8, 1)
    with runtime.engine.connect() as conn:
        usage = conn.scalars(select(t.usage_events.c.decision_id).order_by(t.usage_events.c.id))
        feedback = conn.execute(
            select(t.feedback_events.c.decision_id, t.feedback_events.c.score).order_by(
                t.feedback_events.c.id
            )
        ).all()
    assert list(usage) == ["d0", "d1", "d2", "d3"]
    assert [tuple(r) for r in feedback] == [("d0", 0.0), ("d1", 1.0), ("d2", 0.0), ("d3", 1.0)]
