"""A catalogue sync as a change request: under the ``sync`` policy (or a model policy) an
apply answers 409 naming how to open a request; the request holds the sync's per-model
diff, is approved by someone else, and is applied (now or at its time) with the history,
provenance and sync run a sync writes; a model that moved since is named."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from modelplane.services import change_requests as svc

from .test_change_requests import H, _policy

CR = "/api/v1/change-requests"
SOURCE = (Path(__file__).parents[1] / "sync" / "fixtures" / "litellm.json").read_bytes()
SYNC = "/api/v1/sync?source=litellm"


def _sync(
    client: TestClient,
    headers: H,
    query: str = "",
    body: bytes = SOURCE,
    extra: dict[str, str] | None = None,
) -> Any:
    sent = {**headers["admin"], "Content-Type": "application/json", **(extra or {})}
    return client.post(SYNC + query, content=body, headers=sent)


def _request(client: TestClient, headers: H, title: str = "litellm prices") -> dict[str, Any]:
    answer = _sync(client, headers, f"&changeRequest=true&title={title}&reason=weekly")
    assert answer.status_code == 201, answer.text
    opened: dict[str, Any] = answer.json()
    return opened


def test_a_sync_under_its_policy_goes_through_a_request(client: TestClient, headers: H) -> None:
    editor = headers["editor"]
    assert [
        p["kind"] for p in client.get("/api/v1/approval-policies", headers=editor).json()["data"]
    ][-1] == "sync"
    _policy(client, headers, "sync")
    preview = _sync(client, headers, "&dryRun=true").json()
    assert preview["approvalsNeeded"] == 1 and preview["approverRole"] == "editor"

    direct = _sync(client, headers)
    assert direct.status_code == 409, direct.text
    assert direct.json()["changeRequests"] == CR
    assert "changeRequest=true" in direct.json()["openWith"]
    assert client.get("/api/v1/models/openai:gpt-4o").status_code == 404  # nothing written

    opened = _request(client, headers)
    assert opened["state"] == "pending" and opened["approvalsNeeded"] == 1
    assert opened["reason"] == "weekly" and opened["sync"]["dryRun"] is True
    by_id = {c["id"]: c for c in opened["changes"]}
    assert set(by_id) == {c["id"] for c in opened["sync"]["created"]} | {
        u["id"] for u in opened["sync"]["updated"]
    }
    created = by_id["openai:gpt-4o"]
    assert created["kind"] == "sync" and created["expectedVersion"] == 0
    diff = {d["field"]: d["new"] for d in created["diff"]}
    assert diff["pricing.input"] == 2.5 and diff["pricing.output"] == 10
    assert client.get("/api/v1/models/openai:gpt-4o").status_code == 404  # still a draft

    rid = opened["id"]
    own = client.post(f"{CR}/{rid}/approve", headers=headers["admin"])
    assert own.status_code == 403 and "author" in own.json()["detail"]
    assert client.post(f"{CR}/{rid}/approve", headers=editor).json()["state"] == "approved"
    applied = client.post(f"{CR}/{rid}/apply", headers=editor)
    assert applied.status_code == 200, applied.text
    assert applied.json()["state"] == "applied"

    model = client.get("/api/v1/models/openai:gpt-4o").json()
    assert model["pricing"] == {"input": 2.5, "output": 10, "cached": 1.25}
    history = client.get("/api/v1/models/openai:gpt-4o/history", headers=editor).json()
    (entry,) = history["data"]
    assert entry["changeType"] == "synced"
    assert entry["reason"] == f"change request #{rid}: litellm prices"
    runs = client.get("/api/v1/sync/runs", headers=editor).json()
    assert runs["latest"][0]["author"] == "admin-token" and runs["latest"][0]["applied"]
    # The provenance was recorded: the same source again is unchanged, with no conflicts.
    again = _sync(client, headers, "&dryRun=true").json()
    assert again["changeCount"] == 0 and again["conflicts"] == []


def test_a_model_moved_since_is_named_and_a_rebase_keeps_both(
    client: TestClient, headers: H
) -> None:
    editor = headers["editor"]
    _policy(client, headers, "sync")
    with_policy_off = _policy(client, headers, "sync", n=0)
    assert with_policy_off["approvers"] == 0
    assert _sync(client, headers).status_code == 200  # policy 0: applies directly, as before
    _policy(client, headers, "sync", n=1)
    changed = json.loads(SOURCE)
    changed["gpt-4o"]["input_cost_per_token"] = 3e-06
    changed["gpt-4o"]["max_output_tokens"] = 32768
    answer = _sync(
        client, headers, "&changeRequest=true&title=gpt-4o", json.dumps(changed).encode()
    )
    assert answer.status_code == 201, answer.text
    opened = answer.json()
    rid = opened["id"]
    (change,) = opened["changes"]
    assert change["id"] == "openai:gpt-4o" and change["expectedVersion"] == 1
    assert {d["field"] for d in change["diff"]} == {"pricing.input", "maxOutputTokens"}

    # Someone changes another price by hand (the model policy is 0) before it lands.
    edit = client.patch(
        "/api/v1/models/openai:gpt-4o",
        json={"pricing": {"output": 12}, "expectedVersion": 1},
        headers=editor,
    )
    assert edit.status_code == 200, edit.text
    client.post(f"{CR}/{rid}/approve", headers=editor)
    stale = client.post(f"{CR}/{rid}/apply", headers=editor)
    assert stale.status_code == 409 and "stale" in stale.json()["detail"]
    assert stale.json()["fields"] == ["pricing.output"]
    rebased = client.post(f"{CR}/{rid}/rebase", headers=editor)
    assert rebased.status_code == 200 and rebased.json()["state"] == "pending"
    client.post(f"{CR}/{rid}/approve", headers=editor)
    assert client.post(f"{CR}/{rid}/apply", headers=editor).status_code == 200
    model = client.get("/api/v1/models/openai:gpt-4o").json()
    assert model["pricing"]["input"] == 3 and model["pricing"]["output"] == 12
    assert model["maxOutputTokens"] == 32768 and model["version"] == 3


def test_a_scheduled_sync_request_lands_once_at_its_time(client: TestClient, headers: H) -> None:
    editor = headers["editor"]
    _policy(client, headers, "sync")
    rid = _request(client, headers)["id"]
    client.post(f"{CR}/{rid}/approve", headers=editor)
    soon = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = client.post(f"{CR}/{rid}/apply", json={"at": soon.isoformat()}, headers=editor)
    assert scheduled.status_code == 200 and scheduled.json()["state"] == "scheduled"
    uows = client.app.state.runtime.unit_of_work  # type: ignore[attr-defined]
    assert svc.run_due(uows) == []
    while datetime.now(UTC) <= soon:
        time.sleep(0.05)
    assert svc.run_due(uows) == [rid]
    assert svc.run_due(uows) == []
    model = client.get("/api/v1/models/gemini:gemini-2.5-pro")
    assert model.status_code == 200 and model.json()["version"] == 1


def test_a_model_policy_holds_a_sync_too(client: TestClient, headers: H) -> None:
    _policy(client, headers, kind="model", n=2)
    direct = _sync(client, headers)
    assert direct.status_code == 409 and "openWith" in direct.json()
    opened = _request(client, headers)
    assert opened["approvalsNeeded"] == 2 and opened["state"] == "pending"


def test_an_emergency_override_applies_a_sync_past_its_policy(
    client: TestClient, headers: H
) -> None:
    _policy(client, headers, "sync")
    editor_try = client.post(
        SYNC,
        content=SOURCE,
        headers={
            **headers["editor"],
            "Content-Type": "application/json",
            "X-Emergency-Override": "outage",
        },
    )
    assert editor_try.status_code == 403
    blank = _sync(client, headers, extra={"X-Emergency-Override": " "})
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["path"] == "X-Emergency-Override"
    done = _sync(client, headers, extra={"X-Emergency-Override": "prices wrong in production"})
    assert done.status_code == 200, done.text
    assert done.json()["applied"]
    history = client.get("/api/v1/models/openai:gpt-4o/history", headers=headers["viewer"]).json()
    assert history["data"][0]["reason"] == "emergency override: prices wrong in production"


def test_bad_input_is_named_by_field(client: TestClient, headers: H) -> None:
    no_title = _sync(client, headers, "&changeRequest=true")
    assert no_title.status_code == 422 and no_title.json()["errors"][0]["path"] == "title"
    dry = _sync(client, headers, "&changeRequest=true&title=x&dryRun=true")
    assert dry.status_code == 422 and dry.json()["errors"][0]["path"] == "dryRun"
    stray = _sync(client, headers, "&title=x")
    assert stray.status_code == 422 and stray.json()["errors"][0]["path"] == "title"
    assert _sync(client, headers).status_code == 200
    nothing = _sync(client, headers, "&changeRequest=true&title=again")
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["path"] == "changeRequest"
    sent = client.post(
        CR,
        json={
            "title": "by hand",
            "changes": [
                {
                    "kind": "sync",
                    "id": "openai:gpt-4o",
                    "patch": {"name": "x"},
                    "expectedVersion": 1,
                }
            ],
        },
        headers=headers["editor"],
    )
    assert sent.status_code == 422 and sent.json()["errors"][0]["path"] == "changes[0].kind"
