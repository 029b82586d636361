"""One audit log: changes of every kind, from every face, in one filtered feed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from modelplane.cli import app
from tests.web.conftest import Console, make_users

H = dict[str, dict[str, str]]
M = "openai:gpt-5"


def _changes(client: TestClient, headers: H, database_url: str) -> None:
    editor, admin = headers["editor"], headers["admin"]
    patched = client.patch(
        f"/api/v1/models/{M}",
        json={"pricing": {"input": 9}, "expectedVersion": 1, "reason": "new price"},
        headers=editor,
    )
    assert patched.status_code == 200, patched.text
    flag = client.patch(
        "/api/v1/flags/beta_x", json={"enabled": True, "expectedVersion": 0}, headers=editor
    )
    assert flag.status_code == 200, flag.text
    assert (
        client.post(
            "/api/v1/tokens", json={"name": "bot", "role": "viewer"}, headers=admin
        ).status_code
        == 201
    )
    assert client.delete("/api/v1/tokens/bot", headers=admin).status_code == 200
    user = {"username": "ana", "role": "editor", "password": "a long password", "reason": "hired"}
    assert client.post("/api/v1/users", json=user, headers=admin).status_code == 201
    assert (
        client.put(
            "/api/v1/users/ana/role", json={"role": "viewer", "reason": "moved"}, headers=admin
        ).status_code
        == 200
    )
    cli = CliRunner().invoke(
        app,
        [
            "--database-url",
            database_url,
            "router",
            "set",
            "routerSettings.maxRetries=4",
            "--reason",
            "from a shell",
        ],
        env={"MODELPLANE_AUTHOR": "cli:ops"},
    )
    assert cli.exit_code == 0, cli.stderr


def test_every_kind_and_face_lands_in_one_feed(
    client: TestClient, headers: H, database_url: str
) -> None:
    _changes(client, headers, database_url)
    make_users(client.app.state.runtime)  # type: ignore[attr-defined]
    console = Console(client)
    assert console.sign_in("admin-user").status_code == 200
    assert (
        console.post("/admin/users/ana", {"action": "disable"}, follow_redirects=False).status_code
        == 303
    )
    viewer = headers["viewer"]
    feed = client.get("/api/v1/audit", params={"limit": 500}, headers=viewer).json()
    by = {(e["kind"], e["id"], e["action"]): e for e in feed["data"]}
    model = by[("model", M, "updated")]
    assert model["actor"] == "editor-token" and model["face"] == "api"
    assert model["reason"] == "new price" and model["version"] == 2
    assert [c["new"] for c in model["changes"] if c["field"] == "pricing.input"] == [9]
    assert by[("flag", "beta_x", "created")]["face"] == "api"
    assert by[("token", "bot", "created")]["actor"] == "admin-token"
    assert by[("token", "bot", "revoked")]["face"] == "api"
    assert by[("user", "ana", "created")]["reason"] == "hired"
    role = by[("user", "ana", "role_changed")]
    assert role["changes"] == [{"field": "role", "old": "editor", "new": "viewer"}]
    config = next(e for e in feed["data"] if e["kind"] == "router_config" and e["face"] == "cli")
    assert config["actor"] == "cli:ops" and config["reason"] == "from a shell"
    disabled = by[("user", "ana", "disabled")]
    assert disabled["face"] == "console" and disabled["actor"] == "admin-user"
    ats = [e["at"] for e in feed["data"]]
    assert ats == sorted(ats, reverse=True)


def test_filters_pages_and_exports(client: TestClient, headers: H, database_url: str) -> None:
    _changes(client, headers, database_url)
    viewer = headers["viewer"]

    def get(**params: Any) -> Any:
        response = client.get("/api/v1/audit", params=params, headers=viewer)
        assert response.status_code == 200, response.text
        return response.json()

    users = get(kind="user")
    assert {e["kind"] for e in users["data"]} == {"user"} and users["total"] == 2
    both = get(kind="user,token")
    assert both["total"] == 2 + get(kind="token")["total"]
    assert {e["actor"] for e in get(actor="editor-token")["data"]} == {"editor-token"}
    assert [e["id"] for e in get(id="bot")["data"]] == ["bot", "bot"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert get(since=future)["total"] == 0
    assert get(until=future)["total"] == get()["total"]
    first, second = get(limit=2), get(limit=2, offset=2)
    assert first["count"] == 2 and first["data"] != second["data"]
    bad = client.get("/api/v1/audit", params={"kind": "modle"}, headers=viewer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "kind"
    late = client.get("/api/v1/audit", params={"since": "tomorrow"}, headers=viewer)
    assert late.status_code == 422 and late.json()["errors"][0]["path"] == "since"
    exported = client.get("/api/v1/audit", params={"format": "csv", "kind": "user"}, headers=viewer)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == ["role_changed", "created"]
    assert json.loads(rows[0]["changes"])[0]["new"] == "viewer"
    lines = client.get(
        "/api/v1/audit", params={"format": "jsonl", "id": "bot"}, headers=viewer
    ).text.splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["revoked", "created"]
    assert client.get("/api/v1/audit").status_code == 401


def test_the_cli_and_the_console_show_the_same_feed(
    client: TestClient, headers: H, database_url: str
) -> None:
    _changes(client, headers, database_url)
    base = ["--database-url", database_url, "audit"]
    runner = CliRunner()
    as_json = runner.invoke(app, [*base, "--kind", "token", "--format", "json"])
    assert as_json.exit_code == 0, as_json.stderr
    api = client.get("/api/v1/audit", params={"kind": "token"}, headers=headers["viewer"])
    assert json.loads(as_json.stdout) == api.json()
    as_csv = runner.invoke(app, [*base, "--id", "ana", "--format", "csv"])
    assert as_csv.stdout.splitlines()[0].startswith("at,kind,id,version")
    assert len(as_csv.stdout.splitlines()) == 3
    table = runner.invoke(app, [*base, "--actor", "cli:ops"])
    assert "from a shell" in table.stdout
    wrong = runner.invoke(app, [*base, "--since", "yesterday-ish"])
    assert wrong.exit_code == 1 and "since" in wrong.stderr
    make_users(client.app.state.runtime)  # type: ignore[attr-defined]
    console = Console(client)
    console.sign_in("viewer-user")
    page = console.get("/admin/audit?kind=user")
    assert page.status_code == 200 and "role_changed" in page.text and "hired" in page.text
    assert console.get("/admin/audit?kind=nope").status_code == 422
    download = console.get("/admin/audit/export?format=jsonl&id=bot")
    assert len(download.text.splitlines()) == 2


def test_syncs_that_write_and_change_request_events_are_kinds_of_the_feed(
    client: TestClient, headers: H
) -> None:
    admin, editor = headers["admin"], headers["editor"]
    body = (Path(__file__).parents[1] / "sync" / "fixtures" / "litellm.json").read_bytes()
    sync = "/api/v1/sync?source=litellm"
    assert client.post(f"{sync}&dryRun=true", content=body, headers=admin).status_code == 200
    assert client.post(sync, content=body, headers=admin).status_code == 200
    change = {"kind": "router_config", "id": "router", "patch": {"routerSettings": {}}}
    request = {"title": "t", "reason": "r", "changes": [{**change, "expectedVersion": 1}]}
    created = client.post("/api/v1/change-requests", json=request, headers=editor)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    comment = {"reason": "not needed after all"}
    withdrawn = client.post(f"/api/v1/change-requests/{rid}/withdraw", json=comment, headers=editor)
    assert withdrawn.status_code == 200, withdrawn.text

    syncs = client.get("/api/v1/audit?kind=sync", headers=admin).json()["data"]
    assert [(e["id"], e["action"], e["actor"]) for e in syncs] == [
        ("litellm", "applied", "admin-token")
    ]  # the dry run wrote nothing, so it is not a change
    assert syncs[0]["reason"].startswith("from ")
    events = client.get(f"/api/v1/audit?kind=change_request&id={rid}", headers=admin).json()["data"]
    assert {e["actor"] for e in events} == {"editor-token"}
    assert len(events) >= 2  # opened, then withdrawn
    everything = client.get("/api/v1/audit?limit=500", headers=admin).json()["data"]
    assert {"sync", "change_request"} <= {e["kind"] for e in everything}
