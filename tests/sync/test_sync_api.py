"""POST /api/v1/sync and GET /api/v1/sync/runs through the real HTTP app."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="admin-token", role="admin"), "test")
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def upstream() -> Iterator[str]:
    """A local server holding the models.dev fixture at /api.json."""
    body = (FIXTURES / "modelsdev.json").read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/api.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_dry_run_then_an_apply_of_a_posted_document(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = (FIXTURES / "litellm.json").read_bytes()
    headers = {**admin, "Content-Type": "application/json"}
    preview = client.post("/api/v1/sync?source=litellm&dryRun=true", content=body, headers=headers)
    assert preview.status_code == 200, preview.text
    assert {c["id"] for c in preview.json()["created"]} == {
        "openai:gpt-4o",
        "gemini:gemini-2.5-pro",
    }
    assert client.get("/api/v1/models/openai:gpt-4o").status_code == 404
    applied = client.post("/api/v1/sync?source=litellm", content=body, headers=headers)
    assert applied.status_code == 200 and applied.json()["applied"]
    model = client.get("/api/v1/models/openai:gpt-4o").json()
    assert model["pricing"] == {"input": 2.5, "output": 10, "cached": 1.25}
    runs = client.get("/api/v1/sync/runs", headers=admin).json()
    assert runs["latest"][0]["source"] == "litellm"
    assert runs["latest"][0]["author"] == "admin-token"


def test_a_url_is_fetched(client: TestClient, admin: dict[str, str], upstream: str) -> None:
    answer = client.post(f"/api/v1/sync?source=modelsdev&url={upstream}/api.json", headers=admin)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["created"]) == 2


def test_bad_values_answer_422_naming_the_entry(client: TestClient, admin: dict[str, str]) -> None:
    doc = json.loads((FIXTURES / "litellm.json").read_text())
    doc["gpt-4o"]["input_cost_per_token"] = -1
    answer = client.post("/api/v1/sync?source=litellm", json=doc, headers=admin)
    assert answer.status_code == 422
    assert "gpt-4o.input_cost_per_token" in answer.text
    assert client.get("/api/v1/models/gemini:gemini-2.5-pro").status_code == 404


def test_an_unreachable_url_is_a_one_line_problem(
    client: TestClient, admin: dict[str, str]
) -> None:
    answer = client.post("/api/v1/sync?source=litellm&url=http://127.0.0.1:9/x", headers=admin)
    assert answer.status_code == 422
    assert "cannot read http://127.0.0.1:9/x" in answer.text


def test_an_editor_may_not_sync(client: TestClient, runtime: Runtime) -> None:
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="ed", role="editor"), "test")
        uow.commit()
    answer = client.post(
        "/api/v1/sync?source=litellm", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 403
