"""``/healthz`` names the classifier in use and the exact weights it runs on, and a server
does not start without its category weights."""

from __future__ import annotations

import hashlib
from importlib import resources

from fastapi.testclient import TestClient

from tests.support import start_failure


def prefix(name: str) -> str:
    data = resources.files("modelplane.router.classification").joinpath("data", name)
    return f"{name}@{hashlib.sha256(data.read_bytes()).hexdigest()[:12]}"


def test_healthz_names_the_embedded_classifier_and_its_weights(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["classifier"]["kind"] == "embedded"
    weights = body["classifier"]["weights"]
    assert weights["categories"] == prefix("category_weights.json")
    assert weights["difficulty"] == prefix("difficulty_weights.json")
    assert weights["embedding"].startswith("wordllama ")
    assert "fallback" not in body["classifier"]


def test_a_server_does_not_start_without_its_category_weights() -> None:
    line = start_failure(
        "from modelplane.router.classification import category_model\n"
        "category_model._DATA = 'gone.json'\n"
    )
    assert "cannot start" in line and "gone.json" in line
