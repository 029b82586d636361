"""Schedulers preparing ahead on PostgreSQL: one claims a request and holds it until its
time; the others, given ``held``, do not wait on its row (they are idle at the moment),
note it, and sleep until just past its time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from modelplane.services import change_requests as svc
from modelplane.store.database import create_db_engine
from modelplane.store.unit_of_work import factory_for

CHANGE = {
    "kind": "router_config",
    "id": "router",
    "patch": {"routerSettings": {"maxRetries": 4}},
    "expectedVersion": 1,
}


@pytest.mark.backends("postgresql")  # preparing ahead (and skipping a held row) is PostgreSQL's
def test_racers_skip_a_held_request_and_one_applies_it_on_time(
    seeded: Engine, database_url: str
) -> None:
    uows = factory_for(seeded)
    svc.set_policy(uows, "router_config", 1, "editor", "admin")
    rid = svc.create_request(uows, "retries", None, [CHANGE], "ana")["id"]
    svc.approve(uows, rid, "bo", "editor")
    at = datetime.now(UTC) + timedelta(seconds=1.5)
    svc.apply(uows, rid, "ana", at.isoformat())
    time.sleep(max((at - datetime.now(UTC)).total_seconds() - 0.6, 0))

    engines = [create_db_engine(database_url) for _ in range(3)]
    holder_started = threading.Event()
    results: dict[str, tuple[list[int], list[int], datetime]] = {}

    def holder() -> None:
        holder_started.set()
        applied = svc.run_due(factory_for(engines[0]), "holder", ahead=1.0)
        results["holder"] = (applied, [], datetime.now(UTC))

    def racer(name: str, engine: Engine) -> None:
        held: list[int] = []
        applied = svc.run_due(factory_for(engine), name, ahead=1.0, held=held)
        results[name] = (applied, held, datetime.now(UTC))

    first = threading.Thread(target=holder)
    first.start()
    holder_started.wait()
    time.sleep(0.2)  # the holder has claimed and waits for the time
    racers = [threading.Thread(target=racer, args=(f"r{i}", engines[i])) for i in (1, 2)]
    for thread in racers:
        thread.start()
    for thread in [first, *racers]:
        thread.join(30)
    for engine in engines:
        engine.dispose()

    assert results["holder"][0] == [rid]
    assert results["holder"][2] >= at
    for name in ("r1", "r2"):
        applied, held, finished = results[name]
        assert applied == [] and held == [rid]
        assert finished < at  # did not wait on the holder's row
    shown = svc.get_request(uows, rid)
    assert shown["state"] == "applied"
    assert [e["action"] for e in shown["events"]].count("applied") == 1
