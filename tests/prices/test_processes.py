"""Done when: a price scheduled 5 seconds ahead is served by every process once those 5
seconds have passed, with no further write."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from modelplane.bootstrap import Runtime
from modelplane.domain.clock import utcnow
from modelplane.services import models as model_svc
from modelplane.services import prices
from tests.support import ServerProcess, wait_until

MODEL = "openai:gpt-5"


def _took_effect(runtime: Runtime) -> int:
    entries = model_svc.history(runtime.unit_of_work, MODEL, 0, 50)[0]
    return sum(1 for e in entries if (e.reason or "").startswith("price scheduled for"))


def test_a_price_scheduled_five_seconds_ahead_reaches_every_process(
    runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    servers = [ServerProcess(database_url, tmp_path) for _ in range(2)]
    try:
        start = utcnow() + timedelta(seconds=5)
        prices.schedule_price(runtime.unit_of_work, MODEL, {"input": "42.5"}, start, "test")
        for server in servers:
            # Every process has the timeline (the schedule is a change like any other)...
            def timeline_known(s: ServerProcess = server) -> bool:
                return bool(s.get(f"/api/v1/models/{MODEL}/prices").json()["count"] == 2)

            wait_until(timeline_known)
            served = server.get(f"/api/v1/models/{MODEL}")
            assert utcnow() < start, "the machine is too slow for this test"
            assert json.loads(served.text, parse_float=Decimal)["pricing"]["input"] != Decimal(
                "42.5"
            )

        for server in servers:  # ...and serves the new price once its time has come

            def new_price(s: ServerProcess = server) -> bool:
                body = json.loads(s.get(f"/api/v1/models/{MODEL}").text, parse_float=Decimal)
                return bool(body["pricing"]["input"] == Decimal("42.5"))

            wait_until(new_price, timeout=20)
            assert utcnow() >= start
            # Each process switches by its own clock (tests/prices/test_snapshot.py shows it
            # needs no write); the one write that follows is the version announcing it.
            listed = json.loads(server.get("/api/v1/models").text, parse_float=Decimal)
            entry = next(m for m in listed["data"] if m["id"] == MODEL)
            assert entry["pricing"]["input"] == Decimal("42.5")  # in lists too
        for server in servers:
            now = server.get(f"/api/v1/models/{MODEL}/price").json()
            assert now["effectiveFrom"] is not None
        took_effect = wait_until(lambda: _took_effect(runtime), timeout=20)
        time.sleep(2)  # both servers looked again since: still one version says so
        assert _took_effect(runtime) == took_effect == 1
    finally:
        for server in servers:
            server.stop()
