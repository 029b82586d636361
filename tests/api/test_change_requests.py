"""Change requests: an approval policy turns a kind's direct writes into requests that
others approve, then apply (now or at a time) through the versioned save path."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from modelplane.domain.changes import Change
from modelplane.services import change_requests as svc

H = dict[str, dict[str, str]]
CONFIG = "/api/v1/router/config"
CR = "/api/v1/change-requests"


def _policy(client: TestClient, headers: H, kind: str = "router_config", n: int = 1) -> Any:
    answer = client.put(
        f"/api/v1/approval-policies/{kind}",
        json={"approvers": n, "role": "editor"},
        headers=headers["admin"],
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _open(client: TestClient, headers: H, retries: int = 4, version: int = 1) -> dict[str, Any]:
    body = {
        "title": "more retries",
        "reason": "flaky upstream",
        "changes": [
            {
                "kind": "router_config",
                "id": "router",
                "patch": {"routerSettings": {"maxRetries": retries}},
                "expectedVersion": version,
            }
        ],
    }
    answer = client.post(CR, json=body, headers=headers["editor"])
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_a_policy_refuses_direct_writes_and_a_request_applies_once_approved(
    client: TestClient, headers: H
) -> None:
    editor, admin = headers["editor"], headers["admin"]
    assert _policy(client, headers)["approvers"] == 1
    direct = client.patch(
        CONFIG, json={"routerSettings": {"maxRetries": 4}, "expectedVersion": 1}, headers=editor
    )
    assert direct.status_code == 409, direct.text
    assert direct.json()["changeRequests"] == CR
    assert "change request" in direct.json()["detail"]

    created = _open(client, headers)
    assert created["state"] == "pending"
    (change,) = created["changes"]
    assert change["diff"][0]["field"] == "routerSettings.maxRetries"
    assert change["diff"][0]["new"] == 4 and change["diff"][0]["old"] != 4
    rid = created["id"]

    early = client.post(f"{CR}/{rid}/apply", headers=editor)
    assert early.status_code == 409 and "not approved" in early.json()["detail"]
    own = client.post(f"{CR}/{rid}/approve", headers=editor)
    assert own.status_code == 403 and "author" in own.json()["detail"]
    viewer = client.post(f"{CR}/{rid}/approve", headers=headers["viewer"])
    assert viewer.status_code == 403

    assert (
        client.post(f"{CR}/{rid}/comments", json={"text": "ok?"}, headers=admin).status_code == 201
    )
    approved = client.post(f"{CR}/{rid}/approve", json={"reason": "lgtm"}, headers=admin)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    applied = client.post(f"{CR}/{rid}/apply", headers=editor)
    assert applied.status_code == 200, applied.text
    assert applied.json()["state"] == "applied"
    actions = [e["action"] for e in applied.json()["events"]]
    assert actions == ["opened", "commented", "approved", "state:approved", "applied"]

    config = client.get(CONFIG).json()
    assert config["routerSettings"]["maxRetries"] == 4 and config["version"] == 2
    history = client.get(f"{CONFIG}/history", headers=headers["viewer"]).json()
    assert history["data"][0]["reason"] == f"change request #{rid}: more retries"
    again = client.post(f"{CR}/{rid}/apply", headers=editor)
    assert again.status_code == 409 and "applied" in again.json()["detail"]
    assert client.get(CR, params={"state": "applied"}, headers=editor).json()["count"] == 1


def test_stale_withdrawn_and_rebased_requests(client: TestClient, headers: H) -> None:
    editor, admin = headers["editor"], headers["admin"]
    first, second = _open(client, headers, 4), _open(client, headers, 5)
    other = client.post(
        CR,
        json={
            "title": "timeout",
            "changes": [
                {
                    "kind": "router_config",
                    "id": "router",
                    "patch": {"routerSettings": {"classifierTimeoutSeconds": 9}},
                    "expectedVersion": 1,
                }
            ],
        },
        headers=editor,
    ).json()
    assert first["state"] == "open"  # no policy: nothing to approve
    assert client.post(f"{CR}/{first['id']}/apply", headers=editor).status_code == 200
    stale = client.post(f"{CR}/{second['id']}/apply", headers=editor)
    assert stale.status_code == 409 and "stale" in stale.json()["detail"]
    assert stale.json()["fields"] == ["routerSettings.maxRetries"]
    overlap = client.post(f"{CR}/{second['id']}/rebase", headers=editor)
    assert overlap.status_code == 409
    assert "routerSettings.maxRetries" in overlap.json()["detail"]
    rebased = client.post(f"{CR}/{other['id']}/rebase", headers=editor)
    assert rebased.status_code == 200, rebased.text
    assert rebased.json()["changes"][0]["expectedVersion"] == 2
    assert client.post(f"{CR}/{other['id']}/apply", headers=editor).status_code == 200

    not_mine = client.post(f"{CR}/{second['id']}/withdraw", headers=admin)
    assert not_mine.status_code == 403
    assert client.post(f"{CR}/{second['id']}/withdraw", headers=editor).status_code == 200
    gone = client.post(f"{CR}/{second['id']}/apply", headers=editor)
    assert gone.status_code == 409 and "withdrawn" in gone.json()["detail"]


def test_bad_requests_and_policies_name_the_field(client: TestClient, headers: H) -> None:
    editor = headers["editor"]
    bad = client.post(
        CR,
        json={"title": "x", "changes": [{"kind": "nope", "id": "a", "patch": {}}]},
        headers=editor,
    )
    assert bad.status_code == 422
    paths = {e["path"] for e in bad.json()["errors"]}
    assert {"changes[0].kind", "changes[0].patch", "changes[0].expectedVersion"} <= paths
    invalid = client.post(
        CR,
        json={
            "title": "x",
            "changes": [
                {
                    "kind": "router_config",
                    "patch": {"routerSettings": {"fallbackModelId": "nope:none"}},
                    "expectedVersion": 1,
                }
            ],
        },
        headers=editor,
    )
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["path"].startswith("changes[0].patch.")
    assert client.get(CR, headers=editor).json()["count"] == 0  # nothing half-written
    warned = _policy(client, headers, "flag", 5)
    assert "warning" in warned and "5 approver" in warned["warning"]
    wrong = client.put(
        "/api/v1/approval-policies/nope", json={"approvers": -1}, headers=headers["admin"]
    )
    assert wrong.status_code == 422
    assert {e["path"] for e in wrong.json()["errors"]} == {"kind", "approvers"}
    assert (
        client.put(
            "/api/v1/approval-policies/flag", json={"approvers": 1}, headers=editor
        ).status_code
        == 403
    )
    listed = client.get("/api/v1/approval-policies", headers=editor).json()
    assert {p["kind"]: p["approvers"] for p in listed["data"]}["flag"] == 5


def test_scheduled_apply_runs_once_at_its_time(client: TestClient, headers: H) -> None:
    editor = headers["editor"]
    rid = _open(client, headers)["id"]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = client.post(f"{CR}/{rid}/apply", json={"at": past}, headers=editor)
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "at"
    soon = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = client.post(f"{CR}/{rid}/apply", json={"at": soon.isoformat()}, headers=editor)
    assert scheduled.status_code == 200 and scheduled.json()["state"] == "scheduled"
    uows = client.app.state.runtime.unit_of_work  # type: ignore[attr-defined]
    assert svc.run_due(uows) == []  # not yet
    while datetime.now(UTC) <= soon:
        pass
    assert svc.run_due(uows) == [rid]
    assert svc.run_due(uows) == []
    assert client.get(f"{CR}/{rid}", headers=editor).json()["state"] == "applied"
    assert client.get(CONFIG).json()["routerSettings"]["maxRetries"] == 4


def test_a_rebased_request_needs_approving_again(client: TestClient, headers: H) -> None:
    editor, admin = headers["editor"], headers["admin"]
    _policy(client, headers)
    first = _open(client, headers, 4)
    body = {
        "title": "timeout",
        "changes": [
            {
                "kind": "router_config",
                "id": "router",
                "patch": {"routerSettings": {"classifierTimeoutSeconds": 9}},
                "expectedVersion": 1,
            }
        ],
    }
    second = client.post(CR, json=body, headers=editor).json()
    for rid in (first["id"], second["id"]):
        approved = client.post(f"{CR}/{rid}/approve", json={}, headers=admin)
        assert approved.json()["state"] == "approved", approved.text
    assert client.post(f"{CR}/{first['id']}/apply", headers=editor).status_code == 200
    rebased = client.post(f"{CR}/{second['id']}/rebase", headers=editor).json()
    assert rebased["state"] == "pending" and rebased["approvedBy"] == []
    reset = rebased["events"][-1]
    assert reset["action"] == "state:pending" and "rebase" in reset["text"]
    refused = client.post(f"{CR}/{second['id']}/apply", headers=editor)
    assert refused.status_code == 409 and "0 of 1" in refused.json()["detail"]
    client.post(f"{CR}/{second['id']}/approve", json={}, headers=admin)
    assert client.post(f"{CR}/{second['id']}/apply", headers=editor).status_code == 200


def test_next_due_names_the_earliest_scheduled_time_on_the_database_clock(
    client: TestClient, headers: H
) -> None:
    uows = client.app.state.runtime.unit_of_work  # type: ignore[attr-defined]
    assert svc.next_due(uows)[0] is None  # nothing scheduled: nothing to wake for
    later = _open(client, headers)["id"]
    sooner = _open(client, headers, retries=5)["id"]
    for rid, seconds in ((later, 60), (sooner, 30)):
        at = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
        client.post(f"{CR}/{rid}/apply", json={"at": at}, headers=headers["editor"])
    left, now = svc.next_due(uows)
    assert left is not None and 20 < left <= 30
    assert now.tzinfo is not None


def test_a_scheduler_wakes_when_a_request_is_scheduled_and_applies_it(
    client: TestClient, headers: H
) -> None:
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    listeners: list[Any] = []

    def subscribe(listener: Any) -> Any:
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    loop = svc.SchedulerLoop(runtime.unit_of_work, 3600, subscribe=subscribe)
    loop.start()
    try:
        rid = _open(client, headers)["id"]
        at = (datetime.now(UTC) + timedelta(seconds=0.5)).isoformat()
        client.post(f"{CR}/{rid}/apply", json={"at": at}, headers=headers["editor"])
        # What the live catalogue hands every process's scheduler when one is scheduled:
        for listener in listeners:
            listener(Change(1, "change_request", (str(rid),)))
        deadline = datetime.now(UTC) + timedelta(seconds=30)  # the loop sleeps an hour else
        while client.get(f"{CR}/{rid}", headers=headers["editor"]).json()["state"] != "applied":
            assert datetime.now(UTC) < deadline, "the scheduler did not wake"
            time.sleep(0.05)
    finally:
        loop.close()
    assert listeners == []


def test_an_admin_emergency_override_writes_directly_and_says_so(
    client: TestClient, headers: H
) -> None:
    _policy(client, headers)
    body = {"routerSettings": {"maxRetries": 6}, "expectedVersion": 1}
    editor = {**headers["editor"], "X-Emergency-Override": "outage"}
    assert client.patch(CONFIG, json=body, headers=editor).status_code == 403
    admin = {**headers["admin"], "X-Emergency-Override": "provider outage"}
    done = client.patch(CONFIG, json=body, headers=admin)
    assert done.status_code == 200, done.text
    history = client.get(f"{CONFIG}/history", headers=headers["viewer"]).json()
    assert history["data"][0]["reason"] == "emergency override: provider outage"
    body = {"routerSettings": {"maxRetries": 7}, "expectedVersion": 2}
    assert client.patch(CONFIG, json=body, headers=headers["admin"]).status_code == 409
