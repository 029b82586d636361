"""Webhooks end to end: subscribe through the API, change something, and a local receiver
gets a correctly signed event; the delivery log records every attempt and replays."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import InvalidInput
from modelplane.domain.webhooks import WebhookSpec
from modelplane.services import webhooks as svc
from tests.support import wait_until
from tests.webhooks.receiver import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MODEL = "openai:gpt-5"


def subscribe(client: TestClient, admin: dict[str, str], url: str, events: list[str]) -> Any:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "secret": SECRET, "events": events}, headers=admin
    )
    assert response.status_code == 201, response.text
    return response.json()


def edit_price(client: TestClient, admin: dict[str, str], price: str) -> None:
    etag = client.get(f"/api/v1/models/{MODEL}").headers["ETag"]
    response = client.patch(
        f"/api/v1/models/{MODEL}",
        json={"pricing": {"input": price}, "reason": "new list price"},
        headers={**admin, "If-Match": etag},
    )
    assert response.status_code == 200, response.text


def test_a_price_edit_reaches_the_receiver_signed(
    client: TestClient, admin: dict[str, str], receiver: Receiver
) -> None:
    hook = subscribe(client, admin, receiver.url, ["model.price_changed"])
    old = json.loads(client.get(f"/api/v1/models/{MODEL}").text, parse_float=Decimal)["pricing"]
    edit_price(client, admin, "3.75")

    got = wait_until(lambda: receiver.of_kind("model.price_changed"))[0]
    assert got.signed_by(SECRET)
    assert not got.signed_by("whsec_" + "QUJD" * 8)  # another secret does not verify
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-timestamp"].isdigit()
    data = got.payload["data"]
    assert data["id"] == MODEL
    assert data["old"] == old
    assert data["new"]["input"] == Decimal("3.75")
    assert data["reason"] == "new list price"
    assert [r.payload["type"] for r in receiver.received] == ["model.price_changed"]

    def logged() -> Any:
        page = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()
        return page if page["data"] and page["data"][0]["status"] == "delivered" else None

    delivery = wait_until(logged)["data"][0]
    assert delivery["eventId"] == got.headers["webhook-id"]
    assert delivery["log"][0]["statusCode"] == 200
    assert delivery["log"][0]["latencyMs"] >= 0


def test_every_kind_of_change_emits_only_what_is_subscribed(
    client: TestClient, admin: dict[str, str], receiver: Receiver
) -> None:
    subscribe(client, admin, receiver.url, ["model.updated", "router_config.changed"])
    edit_price(client, admin, "4")
    etag = client.get("/api/v1/router/config").headers["ETag"]
    changed = client.patch(
        "/api/v1/router/config",
        json={"costTiers": {"cheapThreshold": 0.9}},
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    wait_until(lambda: len(receiver.received) >= 2)
    kinds = sorted(r.payload["type"] for r in receiver.received)
    assert kinds == ["model.updated", "router_config.changed"]
    updated = receiver.of_kind("model.updated")[0].payload["data"]
    assert updated["model"]["pricing"]["input"] == 4


def test_a_failed_delivery_is_logged_retried_later_and_replayable(
    client: TestClient, admin: dict[str, str]
) -> None:
    with Receiver(statuses=(503, 200)) as failing:
        hook = subscribe(client, admin, failing.url, ["model.price_changed"])
        edit_price(client, admin, "5")

        def first_attempt() -> Any:
            page = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()
            found = page["data"]
            return found[0] if found and found[0]["attempts"] == 1 else None

        delivery = wait_until(first_attempt)
        assert delivery["status"] == "pending"  # to be retried, with backoff
        assert delivery["lastStatusCode"] == 503
        assert delivery["nextAttemptAt"] is not None
        assert delivery["log"][0]["error"] == "HTTP 503"

        replay = client.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/replay", headers=admin)
        assert replay.status_code == 200, replay.text

        def delivered() -> Any:
            found = client.get(f"/api/v1/webhooks/deliveries/{delivery['id']}", headers=admin)
            return found.json() if found.json()["status"] == "delivered" else None

        done = wait_until(delivered)
        assert [a["statusCode"] for a in done["log"]] == [503, 200]
        ids = {r.headers["webhook-id"] for r in failing.received}
        assert ids == {delivery["eventId"]}  # the same event id: receivers deduplicate


def test_subscriptions_are_managed_and_their_secrets_masked(
    client: TestClient, admin: dict[str, str], receiver: Receiver
) -> None:
    hook = subscribe(client, admin, receiver.url, ["flag.changed"])
    assert hook["secret"] != SECRET
    listed = client.get("/api/v1/webhooks", headers=admin).json()
    assert [h["id"] for h in listed["data"]] == [hook["id"]]
    changed = client.patch(
        f"/api/v1/webhooks/{hook['id']}",
        json={"events": ["sync.finished", "model.sunset"], "active": False},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["sync.finished", "model.sunset"]
    assert changed.json()["active"] is False
    bad = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"events": ["x"]}, headers=admin)
    assert bad.status_code == 422
    assert "events" in bad.text
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 200
    assert client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://hooks.example.com/x", "must be an http or https URL"),
        ("file:///etc/passwd", "must be an http or https URL"),
        ("https://user:pw@hooks.example.com/", "user name or password"),
    ],
)
def test_a_url_that_is_not_http_is_refused_with_the_reason(
    client: TestClient, admin: dict[str, str], url: str, problem: str
) -> None:
    response = client.post(
        "/api/v1/webhooks",
        json={"url": url, "secret": SECRET, "events": ["flag.changed"]},
        headers=admin,
    )
    assert response.status_code == 422
    assert problem in response.text
    assert "url" in response.text


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::1]/hook", "loopback"),
    ],
)
def test_private_targets_are_refused_unless_allowed(runtime: Runtime, url: str, what: str) -> None:
    spec = WebhookSpec(url=url, secret=SECRET, events=["flag.changed"])
    with pytest.raises(InvalidInput) as refused:
        svc.create_webhook(runtime.unit_of_work, spec, "test", allow_private=False)
    assert what in str(refused.value.errors[0].message)
    assert refused.value.errors[0].path == "url"
    assert svc.list_webhooks(runtime.unit_of_work) == []
    svc.create_webhook(runtime.unit_of_work, spec, "test", allow_private=True)


def test_only_admins_manage_webhooks(
    client: TestClient, runtime: Runtime, admin: dict[str, str], receiver: Receiver
) -> None:
    from modelplane.services.tokens import TokenSpec, create_token

    hook = subscribe(client, admin, receiver.url, ["model.price_changed"])
    edit_price(client, admin, "6")
    wait_until(lambda: receiver.received)
    delivery = client.get("/api/v1/webhooks/deliveries", headers=admin).json()["data"][0]
    body = {"url": receiver.url, "secret": SECRET, "events": ["flag.changed"]}
    calls = [
        ("GET", "/api/v1/webhooks", None),
        ("POST", "/api/v1/webhooks", body),
        ("GET", "/api/v1/webhooks/deliveries", None),
        ("GET", f"/api/v1/webhooks/deliveries/{delivery['id']}", None),
        ("POST", f"/api/v1/webhooks/deliveries/{delivery['id']}/replay", None),
        ("GET", f"/api/v1/webhooks/{hook['id']}", None),
        ("PATCH", f"/api/v1/webhooks/{hook['id']}", {"active": True}),
        ("GET", f"/api/v1/webhooks/{hook['id']}/deliveries", None),
        ("DELETE", f"/api/v1/webhooks/{hook['id']}", None),
    ]
    tokens = {}
    with runtime.unit_of_work() as uow:
        for role in ("viewer", "editor", "ingest"):
            _, token = create_token(uow, TokenSpec(name=f"{role}-1", role=role), "test")
            tokens[role] = {"Authorization": f"Bearer {token}"}
        uow.commit()
    for method, path, json_body in calls:
        assert client.request(method, path, json=json_body).status_code == 401, path
        for role, sent in tokens.items():
            answer = client.request(method, path, json=json_body, headers=sent)
            assert answer.status_code == 403, (role, path)
        answer = client.request(method, path, json=json_body, headers=admin)
        assert answer.status_code in (200, 201), (path, answer.text)
