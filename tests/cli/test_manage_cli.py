"""CLI writes against the database directly and against a real server over HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.cli import app
from modelplane.services.tokens import TokenSpec, create_token

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
