"""The UsageRecorder against the real app served by uvicorn, and its memory bound."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.client import UsageRecorder
from modelplane.store import tables as t
from tests.support import free_port, wait_until


@pytest.fixture
def server(runtime: Runtime) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_until(lambda: srv.started)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def _stored(runtime: Runtime) -> list[tuple[str, int]]:
    e = t.usage_events.c
    with runtime.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(e.user_id, e.input_tokens).order_by(e.id))]  # type: ignore[misc]


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


class _GatedTransport(httpx.BaseTransport):
    """Stands in for the network: holds each request until the test opens the gate."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.delivered: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        assert self.gate.wait(30)
        events = json.loads(request.content)["events"]
        self.delivered += [e["userId"] for e in events]
        return httpx.Response(200, json={"accepted": len(events), "costUsd": "0"})


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
    assert (recorder.stats.accepted, recorder.stats.sent) == (90, 60)
