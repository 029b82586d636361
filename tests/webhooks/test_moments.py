"""Moments that come with no write are announced once, when they come: a scheduled price
taking effect (a version in the model's history and ``model.price_changed``) and a sunset
passing (``model.sunset``), however many processes look."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.clock import utcnow
from modelplane.domain.webhooks import WebhookSpec
from modelplane.services import models as model_svc
from modelplane.services import moments, prices
from modelplane.services import webhooks as svc
from modelplane.settings import Settings
from modelplane.store import tables as t
from tests.support import ServerProcess, wait_until
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_webhooks import MODEL, SECRET, subscribe


@pytest.fixture
def live_client(seeded: Engine, database_url: str) -> Iterator[TestClient]:
    """A serving process's app: live reads, so its lifespan looks for due moments."""
    settings = Settings(database_url=database_url, environment="test", webhooks_allow_private=True)
    rt = Runtime(settings, live_reads=True)
    try:
        with TestClient(create_app(rt)) as test_client:
            yield test_client
    finally:
        rt.close()


def _until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - utcnow()).total_seconds()))


def _look_again(client: TestClient, admin: dict[str, str]) -> None:
    """Look for due moments twice more, as the server's loop does each second (the look it
    runs, through ``run-due``): what was announced is claimed, so neither finds anything."""
    for _ in range(2):
        looked = client.post("/api/v1/change-requests/run-due", json={}, headers=admin)
        assert looked.status_code == 200, looked.text
        assert looked.json()["pricesTookEffect"] == looked.json()["sunsetsPassed"] == []


def _history(client: TestClient, admin: dict[str, str]) -> list[dict[str, object]]:
    answer = client.get(f"/api/v1/models/{MODEL}/history", headers=admin)
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, object]] = answer.json()["data"]
    return entries


def test_a_scheduled_price_is_announced_and_versioned_when_it_takes_effect(
    live_client: TestClient, admin: dict[str, str], receiver: Receiver
) -> None:
    client = live_client
    subscribe(client, admin, receiver.url, ["model.price_changed"])
    before = client.get(f"/api/v1/models/{MODEL}").json()
    start = (utcnow() + timedelta(seconds=3)).replace(microsecond=0)
    scheduled = client.post(
        f"/api/v1/models/{MODEL}/prices",
        json={
            "pricing": {"output": 12},
            "effectiveFrom": start.isoformat(),
            "reason": "list price from January",
        },
        headers=admin,
    )
    assert scheduled.status_code == 201, scheduled.text
    # Scheduling announces nothing and versions nothing: the price is not in force yet.
    assert utcnow() < start, "the machine is too slow for this test"
    assert client.get("/api/v1/webhooks/deliveries", headers=admin).json()["count"] == 0
    assert client.get(f"/api/v1/models/{MODEL}").json()["version"] == before["version"]

    got = wait_until(lambda: receiver.of_kind("model.price_changed"), timeout=20)[0]
    assert utcnow() >= start
    assert got.signed_by(SECRET)
    data = got.payload["data"]
    assert data["effectiveFrom"] == start.isoformat()
    assert data["new"]["output"] == 12
    assert data["old"]["output"] == before["pricing"]["output"]
    assert data["author"] == "admin-token"

    entry = _history(client, admin)[0]
    assert entry["version"] == before["version"] + 1
    assert entry["author"] == "admin-token"  # who scheduled it
    reason = str(entry["reason"])
    assert reason.startswith(f"price scheduled for {start.isoformat()} took effect")
    assert reason.endswith(": list price from January")
    assert [c["field"] for c in entry["changes"]] == ["pricing.output"]  # type: ignore[attr-defined]
    _look_again(client, admin)  # a later look finds nothing more to announce
    assert len(receiver.of_kind("model.price_changed")) == 1
    assert _history(client, admin)[0]["version"] == before["version"] + 1


def test_a_sunset_is_announced_when_it_passes_not_when_it_is_set(
    live_client: TestClient, admin: dict[str, str], receiver: Receiver
) -> None:
    client = live_client
    subscribe(client, admin, receiver.url, ["model.sunset", "model.updated"])
    sunset = (utcnow() + timedelta(seconds=3)).replace(microsecond=0)
    etag = client.get(f"/api/v1/models/{MODEL}").headers["ETag"]
    answer = client.patch(
        f"/api/v1/models/{MODEL}",
        json={"sunsetDate": sunset.isoformat(), "successorId": "openai:gpt-5-mini"},
        headers={**admin, "If-Match": etag},
    )
    assert answer.status_code == 200, answer.text
    wait_until(lambda: receiver.of_kind("model.updated"))
    assert utcnow() < sunset, "the machine is too slow for this test"
    assert receiver.of_kind("model.sunset") == []

    got = wait_until(lambda: receiver.of_kind("model.sunset"), timeout=20)[0]
    assert utcnow() >= sunset
    assert got.signed_by(SECRET)
    data = got.payload["data"]
    assert data["id"] == MODEL
    assert data["successorId"] == "openai:gpt-5-mini"
    assert data["sunsetDate"] == sunset.strftime("%Y-%m-%dT%H:%M:%SZ")
    _look_again(client, admin)
    assert len(receiver.of_kind("model.sunset")) == 1
    assert len(receiver.of_kind("model.updated")) == 1  # the passing is no edit


def _events(runtime: Runtime, kind: str) -> int:
    with runtime.unit_of_work(read_only=True) as uow:
        query = select(func.count()).where(t.webhook_events.c.kind == kind)
        return int(uow.connection.execute(query).scalar_one())


def test_racing_claimers_announce_each_moment_once(runtime: Runtime, database_url: str) -> None:
    spec = WebhookSpec(
        url="http://127.0.0.1:9/hook",
        secret=SECRET,
        events=["model.price_changed", "model.sunset"],
    )
    svc.create_webhook(runtime.unit_of_work, spec, "test", allow_private=True)
    start = utcnow() + timedelta(seconds=1)
    prices.schedule_price(runtime.unit_of_work, MODEL, {"input": "7.25"}, start, "scheduler-1")
    model_svc.update_model(
        runtime.unit_of_work, MODEL, {"sunsetDate": start.isoformat()}, "tester", None
    )
    version = model_svc.get_model(runtime.unit_of_work, MODEL).version
    _until(start)
    # Four claimers on engines of their own, as four processes would be.
    others = [Runtime(Settings(database_url=database_url, environment="test")) for _ in range(4)]
    results: list[tuple[list[str], list[str]]] = []
    barrier = threading.Barrier(len(others))

    def claim(rt: Runtime) -> None:
        barrier.wait()
        results.append(moments.run_due(rt.unit_of_work))

    threads = [threading.Thread(target=claim, args=(rt,)) for rt in others]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        for rt in others:
            rt.close()
    assert [m for r in results for m in r[0]] == [MODEL]  # one claimer took each
    assert [m for r in results for m in r[1]] == [MODEL]
    assert _events(runtime, "model.price_changed") == 1
    assert _events(runtime, "model.sunset") == 1
    assert model_svc.get_model(runtime.unit_of_work, MODEL).version == version + 1
    assert moments.run_due(runtime.unit_of_work) == ([], [])


def test_a_past_dated_price_is_announced_at_once(runtime: Runtime) -> None:
    spec = WebhookSpec(url="http://127.0.0.1:9/hook", secret=SECRET, events=["model.price_changed"])
    svc.create_webhook(runtime.unit_of_work, spec, "test", allow_private=True)
    past = utcnow() - timedelta(days=3)
    prices.schedule_price(runtime.unit_of_work, MODEL, {"input": "1.5"}, past, "backfill")
    assert _events(runtime, "model.price_changed") == 1
    assert moments.run_due(runtime.unit_of_work) == ([], [])  # it applied when written
    assert _events(runtime, "model.price_changed") == 1


def test_two_servers_announce_a_scheduled_price_and_a_sunset_once(
    runtime: Runtime, database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    spec = WebhookSpec(
        url=receiver.url, secret=SECRET, events=["model.price_changed", "model.sunset"]
    )
    svc.create_webhook(runtime.unit_of_work, spec, "test", allow_private=True)
    env = {"MODELPLANE_WEBHOOKS_ALLOW_PRIVATE": "true"}
    servers = [ServerProcess(database_url, tmp_path, **env) for _ in range(2)]
    try:
        start = utcnow() + timedelta(seconds=3)
        prices.schedule_price(runtime.unit_of_work, MODEL, {"input": "9"}, start, "scheduler-1")
        model_svc.update_model(
            runtime.unit_of_work, MODEL, {"sunsetDate": start.isoformat()}, "tester", None
        )
        wait_until(lambda: receiver.of_kind("model.price_changed"), timeout=30)
        wait_until(lambda: receiver.of_kind("model.sunset"), timeout=30)
        time.sleep(3)  # both servers looked several times since
    finally:
        for server in servers:
            server.stop()
    for kind in ("model.price_changed", "model.sunset"):
        ids = {r.headers["webhook-id"] for r in receiver.of_kind(kind)}
        assert len(ids) == 1, kind
    assert _events(runtime, "model.price_changed") == 1
