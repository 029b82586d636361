"""CLI writes against the database directly and against a real server over HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from typer.testing import CliRunner

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.cli import app
from modelplane.domain.validation import validate
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.store.tables import api_tokens

M = "openai:gpt-5"


@pytest.fixture
def server(runtime: Runtime) -> Iterator[str]:
    """A real uvicorn server on a free local port, in a thread."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="error")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join()


@pytest.fixture(params=["direct", "server"])
def mode(request: pytest.FixtureRequest, runtime: Runtime, database_url: str) -> list[str]:
    """The arguments that pick the backend: the database URL, or a server and a token."""
    if request.param == "direct":
        return ["--database-url", database_url]
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="cli-editor", role="admin"), "test")
        uow.commit()
    url = request.getfixturevalue("server")
    return ["--database-url", database_url, "--server-args", url, token]


def run(mode: list[str], *args: str) -> tuple[int, str, str]:
    if "--server-args" in mode:
        base, server, token = mode[:2], mode[3], mode[4]
        argv = [*base, *args, "--server", server, "--token", token]
    else:
        argv = [*mode, *args]
    result = CliRunner().invoke(app, argv)
    return result.exit_code, result.stdout, result.stderr


def test_update_history_and_rollback_give_the_same_json_in_both_modes(mode: list[str]) -> None:
    code, out, err = run(
        mode, "models", "update", M, "--set", "pricing.input=3", "--reason", "cut", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["pricing"]["input"] == 3
    code, out, _ = run(mode, "models", "history", M, "--json")
    top = json.loads(out)["data"][0]
    assert (top["reason"], top["changes"][0]["field"]) == ("cut", "pricing.input")
    code, out, _ = run(mode, "models", "rollback", M, "1", "--json")
    assert json.loads(out)["pricing"]["input"] == 2.5
    code, _, err = run(mode, "models", "update", M, "--set", "name=x", "--expected-version", "1")
    assert code == 1 and "version" in err and "\n" not in err.strip()


def test_create_deprecate_reactivate_duplicate(mode: list[str], tmp_path: Path) -> None:
    spec = {
        "id": "openai:cli-1",
        "provider": "openai",
        "name": "CLI",
        "contextWindow": 10,
        "pricing": {"input": 1, "output": 1},
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(spec))
    assert run(mode, "models", "create", str(path))[0] == 0
    code, out, _ = run(mode, "models", "deprecate", "openai:cli-1", "--json")
    assert json.loads(out)["status"] == "deprecated"
    code, out, _ = run(mode, "models", "reactivate", "openai:cli-1", "--json")
    assert json.loads(out)["status"] == "active"
    code, out, _ = run(mode, "models", "duplicate", "openai:cli-1", "--json")
    assert json.loads(out)["id"] == "openai:cli-1-copy"
    code, _, err = run(mode, "models", "create", str(path))
    assert code == 1 and "already exists" in err


def test_export_then_import_changes_nothing_and_a_bad_import_is_refused(
    mode: list[str], tmp_path: Path
) -> None:
    exported = tmp_path / "export.json"
    assert run(mode, "export", str(exported))[0] == 0
    code, out, err = run(mode, "import", str(exported), "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["changeCount"] == 0
    document = json.loads(exported.read_text())
    document["models"][2]["contextWindow"] = -5
    exported.write_text(json.dumps(document))
    code, _, err = run(mode, "import", str(exported))
    assert code == 1 and "models[2].contextWindow" in err


def test_tokens_create_list_and_revoke(mode: list[str]) -> None:
    code, out, err = run(mode, "tokens", "create", "--name", "bot", "--role", "viewer", "--json")
    assert code == 0, err
    assert json.loads(out)["token"].startswith("mp_")
    code, out, _ = run(mode, "tokens", "list", "--json")
    assert "bot" in {t["name"] for t in json.loads(out)["data"]}
    assert "token" not in json.loads(out)["data"][0]
    assert run(mode, "tokens", "revoke", "bot")[0] == 0
    code, _, err = run(mode, "tokens", "revoke", "bot")
    assert code == 1


def test_an_id_the_api_could_not_address_is_refused_by_create_and_import(
    mode: list[str], tmp_path: Path
) -> None:
    spec = {
        "id": "openai:cli-1/history",
        "provider": "openai",
        "name": "CLI",
        "contextWindow": 10,
        "pricing": {"input": 1, "output": 1},
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(spec))
    code, _, err = run(mode, "models", "create", str(path))
    assert code == 1 and "the API uses that path" in err
    path.write_text(json.dumps({"models": [spec]}))
    code, _, err = run(mode, "import", str(path))
    assert code == 1 and "models[0].id" in err and "the API uses that path" in err
    code, _, err = run(mode, "models", "duplicate", M, "--new-id", "openai:x/deprecate")
    assert code == 1 and "the API uses that path" in err


def test_tokens_create_with_scopes_and_an_expiry_and_list_them(mode: list[str]) -> None:
    code, out, err = run(
        mode, "tokens", "create", "--name", "cat-bot", "--role", "editor",
        "--scope", "read", "--scope", "write:model", "--expires", "30d", "--json",
    )  # fmt: skip
    assert code == 0, err
    created = json.loads(out)
    assert created["scopes"] == ["read", "write:model"]
    expires = datetime.fromisoformat(created["expiresAt"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    code, out, err = run(
        mode, "tokens", "create", "--name", "dated", "--role", "viewer",
        "--expires", "2099-01-01T00:00:00Z", "--json",
    )  # fmt: skip
    assert code == 0, err
    assert (json.loads(out)["expiresAt"], json.loads(out)["scopes"]) == (
        "2099-01-01T00:00:00Z",
        None,
    )
    code, out, _ = run(mode, "tokens", "list")
    row = next(line for line in out.splitlines() if "cat-bot" in line)
    assert "read write:model" in row and created["expiresAt"] in row and "active" in row


@pytest.mark.parametrize(
    ("args", "field", "problem"),
    [
        (["--scope", "write:everything"], "scopes", "unknown scope 'write:everything'"),
        (["--scope", "write:sync"], "scopes", "for admin tokens"),
        (["--expires", "2020-01-01T00:00:00Z"], "expiresAt", "in the past"),
        (["--expires", "soon"], "expiresAt", "is not a moment"),
        (["--expires", "0d"], "expiresIn", "longer than nothing"),
    ],
)
def test_bad_token_input_names_the_field(
    mode: list[str], args: list[str], field: str, problem: str
) -> None:
    code, _, err = run(mode, "tokens", "create", "--name", "bad", "--role", "editor", *args)
    assert code == 1
    assert field in err and problem in err, err


def test_scopes_and_expiry_are_enforced_over_http(runtime: Runtime, server: str) -> None:
    def token(name: str, **spec: object) -> dict[str, str]:
        document = {"name": name, "role": "admin", **spec}
        _, made = create_token(runtime.unit_of_work, validate(TokenSpec, document), "test")
        return {"Authorization": f"Bearer {made}"}

    reader, router = token("reader", scopes=["read"]), token("router", scopes=["route"])
    soon = token("soon", expiresIn="1m")
    with httpx.Client(base_url=server) as http:
        assert http.get(f"/api/v1/models/{M}/history", headers=reader).status_code == 200
        refused = http.patch(f"/api/v1/models/{M}", json={"name": "x"}, headers=reader)
        assert refused.status_code == 403
        assert "'write:model' scope" in refused.json()["detail"]
        route = {"text": "write a haiku", "seed": 1}
        assert http.post("/api/v1/route", json=route, headers=router).status_code == 200
        assert http.get("/api/v1/tokens", headers=router).status_code == 403
        assert http.get("/api/v1/tokens", headers=soon).status_code == 200
        with runtime.unit_of_work() as uow:  # an hour later, as far as the row is concerned
            past = datetime.now(UTC) - timedelta(hours=1)
            uow.connection.execute(
                update(api_tokens).where(api_tokens.c.name == "soon").values(expires_at=past)
            )
            uow.commit()
        expired = http.get("/api/v1/tokens", headers=soon)
        assert expired.status_code == 401, expired.text
        assert "expired at" in expired.json()["detail"] and expired.json()["expiredAt"]
