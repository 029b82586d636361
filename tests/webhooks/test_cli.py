"""``modelplane webhooks``: create, list, update, the delivery log, replay, delete."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from modelplane.bootstrap import Runtime
from modelplane.cli import app
from modelplane.services import models, webhooks
from tests.webhooks.receiver import Receiver

runner = CliRunner()
SECRET = "a-plain-secret-of-some-length"


def cli(database_url: str, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", database_url, "webhooks", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_cli_manages_subscriptions_and_replays_deliveries(
    seeded: Engine,
    database_url: str,
    runtime: Runtime,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELPLANE_WEBHOOKS_ALLOW_PRIVATE", "true")
    created = json.loads(
        cli(
            database_url,
            "create",
            receiver.url,
            "--secret",
            SECRET,
            "-e",
            "model.updated",
            "--json",
        )
    )
    assert created["events"] == ["model.updated"]
    assert SECRET not in json.dumps(created)
    listed = json.loads(cli(database_url, "list", "--json"))
    assert [h["id"] for h in listed] == [created["id"]]
    cli(database_url, "update", str(created["id"]), "-e", "model.updated", "-e", "flag.changed")
    assert webhooks.get_webhook(runtime.unit_of_work, created["id"]).events == [
        "model.updated",
        "flag.changed",
    ]

    models.update_model(runtime.unit_of_work, "openai:gpt-5", {"name": "GPT 5"}, "test", None)
    deliverer = webhooks.Deliverer(runtime.unit_of_work, allow_private=True)
    assert deliverer.round() == 1
    log = json.loads(cli(database_url, "deliveries", "--json"))
    delivery = log["data"][0]
    assert delivery["status"] == "delivered"
    assert delivery["log"][0]["statusCode"] == 200
    assert "delivered" in cli(database_url, "deliveries", str(created["id"]))

    assert "queued again" in cli(database_url, "replay", str(delivery["id"]))
    assert deliverer.round() == 1
    assert len(receiver.received) == 2
    assert all(r.signed_by(SECRET) for r in receiver.received)
    deliverer.stop()

    assert "deleted" in cli(database_url, "delete", str(created["id"]))
    assert json.loads(cli(database_url, "list", "--json")) == []


def test_the_cli_refuses_a_private_target_with_the_reason(
    seeded: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELPLANE_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    result = runner.invoke(
        app,
        [
            "--database-url",
            database_url,
            "webhooks",
            "create",
            "http://127.0.0.1:9/x",
            "--secret",
            SECRET,
            "-e",
            "flag.changed",
        ],
    )
    assert result.exit_code == 1
    assert "loopback" in result.output


def test_two_deliverers_never_send_the_same_delivery_at_once(
    runtime: Runtime, receiver: Receiver
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from modelplane.domain.webhooks import WebhookSpec

    spec = WebhookSpec(url=receiver.url, secret=SECRET, events=["model.updated"])
    webhooks.create_webhook(runtime.unit_of_work, spec, "test", allow_private=True)
    for i in range(30):
        models.update_model(
            runtime.unit_of_work, "openai:gpt-5", {"name": f"GPT 5 #{i}"}, "test", None
        )
    first, second = (
        webhooks.Deliverer(runtime.unit_of_work, allow_private=True, batch=7) for _ in range(2)
    )
    with ThreadPoolExecutor(2) as pool:
        for _ in range(6):
            list(pool.map(lambda d: d.round(), (first, second)))
    first.stop()
    second.stop()
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 30
    assert len(set(ids)) == 30  # each once: claims never overlap
    log, total = webhooks.deliveries(runtime.unit_of_work, None, 100)
    assert total == 30
    assert all(d.status == "delivered" and d.attempts == 1 for d in log)
