"""Security headers on every response of the real app: console pages, static files, API
answers, errors and redirects; HSTS only in production; and no template that would need
an inline style the policy refuses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.settings import Settings
from modelplane.web.filters import score_class
from tests.web.conftest import make_users

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "modelplane" / "web" / "templates"
PATHS = (
    "/admin/login",
    "/admin/models",  # a redirect to the sign-in page
    "/admin/static/console.css",
    "/api/v1/models",
    "/api/v1/models/acme:missing",  # a 404 problem
    "/v1/models",
    "/healthz",
    "/openapi.json",
)


def _policy(header: str) -> dict[str, str]:
    return {d.split()[0]: d.strip() for d in header.split(";") if d.strip()}


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code in (200, 303, 307, 404), response.text
    policy = _policy(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["base-uri"] == "base-uri 'none'"
    assert policy["form-action"] == "form-action 'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # not in production


def test_a_signed_in_console_page_and_a_problem_carry_them_too(
    runtime: Runtime, client: TestClient
) -> None:
    make_users(runtime)
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"csrf_token": token.group(1), "username": "viewer-user"}
    signed_in = client.post(
        "/admin/login", data={**form, "password": "correct horse battery staple"}
    )
    assert signed_in.url.path == "/admin/models"
    assert signed_in.headers["X-Frame-Options"] == "DENY"
    refused = client.post("/api/v1/models", json={})
    assert refused.status_code == 401
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]


def test_only_the_api_docs_may_load_their_cdn_bundle(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert (
        "https://cdn.jsdelivr.net" in _policy(docs.headers["Content-Security-Policy"])["script-src"]
    )
    assert docs.headers["X-Frame-Options"] == "DENY"
    console = client.get("/admin/login")
    assert "cdn.jsdelivr.net" not in console.headers["Content-Security-Policy"]


@pytest.fixture
def production_client(seeded: object, database_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, environment="production", secret_key="k" * 40)
    runtime = Runtime(settings)
    with TestClient(create_app(runtime)) as client:
        yield client
    runtime.close()


def test_production_adds_hsts(production_client: TestClient) -> None:
    for path in ("/admin/login", "/api/v1/models"):
        hsts = production_client.get(path).headers["Strict-Transport-Security"]
        assert hsts.startswith("max-age=31536000")


def test_no_template_holds_an_inline_style_or_script() -> None:
    offenders = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text()
        if re.search(r"\sstyle\s*=", text) or re.search(r"<script(?![^>]*\ssrc=)", text):
            offenders.append(template.name)
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{template.name} (event handler attribute)")
    assert offenders == []


def test_score_bands_cover_the_scale() -> None:
    assert [score_class(s) for s in (0, 9.9, 10, 55, 99, 100, 250, -3)] == [
        "score-0",
        "score-0",
        "score-1",
        "score-5",
        "score-9",
        "score-10",
        "score-10",
        "score-0",
    ]
    assert score_class(None) == "" and score_class("n/a") == ""
    css = (TEMPLATES.parent / "static" / "console.css").read_text()
    assert all(f".score-{band} " in css for band in range(11))
