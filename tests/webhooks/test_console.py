"""The console's Webhooks page: subscribe, see the delivery log, replay, pause, delete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services import models, webhooks
from tests.support import wait_until
from tests.web.conftest import Console, make_users
from tests.webhooks.receiver import Receiver

SECRET = "console-secret-0123456789"


@pytest.fixture
def console(runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    make_users(runtime)
    with TestClient(create_app(runtime)) as client:
        signed_in = Console(client)
        assert signed_in.sign_in("admin-user").status_code == 200
        yield signed_in


def test_an_admin_subscribes_sees_deliveries_and_replays(
    console: Console, runtime: Runtime, receiver: Receiver
) -> None:
    bad = console.post(
        "/admin/webhooks",
        [("url", "gopher://x.example"), ("secret", SECRET), ("events", "model.updated")],
    )
    assert bad.status_code == 422
    assert "must be an http or https URL" in bad.text
    assert webhooks.list_webhooks(runtime.unit_of_work) == []

    made = console.post(
        "/admin/webhooks",
        [("url", receiver.url), ("secret", SECRET), ("events", "model.updated")],
        follow_redirects=True,
    )
    assert made.status_code == 200
    assert "Webhook 1 created" in made.text or "created for" in made.text
    assert receiver.url in made.text
    assert SECRET not in made.text  # masked

    models.update_model(runtime.unit_of_work, "openai:gpt-5", {"name": "GPT 5!"}, "t", None)
    wait_until(lambda: receiver.received)

    def delivered() -> str | None:
        page = console.get("/admin/webhooks").text
        return page if ">delivered<" in page and "200, " in page else None

    page = wait_until(delivered)
    assert "model.updated" in page
    delivery = webhooks.deliveries(runtime.unit_of_work, None)[0][0]
    replayed = console.post(
        f"/admin/webhooks/deliveries/{delivery.id}/replay", {}, follow_redirects=True
    )
    assert "queued again" in replayed.text
    wait_until(lambda: len(receiver.received) == 2)

    hook = webhooks.list_webhooks(runtime.unit_of_work)[0]
    console.post(f"/admin/webhooks/{hook.id}", {"action": "pause"})
    assert webhooks.get_webhook(runtime.unit_of_work, hook.id).active is False
    console.post(f"/admin/webhooks/{hook.id}", {"action": "delete"})
    assert webhooks.list_webhooks(runtime.unit_of_work) == []


def test_the_page_is_for_admins_only(runtime: Runtime, console: Console) -> None:
    console.client.cookies.clear()
    editor = Console(console.client)
    editor.sign_in("editor-user")
    assert editor.get("/admin/webhooks").status_code == 403
