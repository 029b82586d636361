"""Console sessions end for real: after sign-out a copied cookie gets the sign-in page, on
this process and on every other one; a password change or a disabled account ends them
too. And the sign-in limiter's counts hold across processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from modelplane.bootstrap import Runtime
from modelplane.domain.validation import validate
from modelplane.services import users
from modelplane.settings import Settings
from tests.support import ServerProcess
from tests.web.conftest import PASSWORD, Console, csrf_of, make_users

SECRET = "a shared console secret key for both test processes"


def _copied_cookie(console: Console) -> dict[str, str]:
    return {"modelplane_session": str(console.client.cookies.get("modelplane_session"))}


def _page_with(client: TestClient, cookies: dict[str, str]) -> str:
    """Where ``/admin/models`` sends a browser holding only ``cookies``."""
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    answer = client.get("/admin/models", follow_redirects=False)
    return "models" if answer.status_code == 200 else str(answer.headers.get("location"))


def test_a_cookie_copied_before_sign_out_gets_the_sign_in_page(as_role: Any) -> None:
    console = as_role("editor")
    copied = _copied_cookie(console)
    assert _page_with(console.client, copied) == "models"
    console.refresh_csrf()
    assert console.post("/admin/logout").url.path == "/admin/login"
    assert _page_with(console.client, copied).startswith("/admin/login?next=")


def test_signing_in_again_gives_a_new_session_that_the_old_sign_out_does_not_touch(
    app_client: TestClient,
) -> None:
    first = Console(app_client)
    first.sign_in("viewer-user")
    first_cookie = _copied_cookie(first)
    app_client.cookies.clear()
    second = Console(app_client)
    second.sign_in("viewer-user")
    second_cookie = _copied_cookie(second)
    assert first_cookie != second_cookie
    assert _page_with(app_client, first_cookie) == "models"
    first.refresh_csrf()
    first.post("/admin/logout")
    assert _page_with(app_client, first_cookie).startswith("/admin/login")
    assert _page_with(app_client, second_cookie) == "models"  # the other browser stays in


def test_a_password_change_and_disabling_end_every_session(as_role: Any, runtime: Runtime) -> None:
    console = as_role("viewer")
    copied = _copied_cookie(console)
    change = validate(users.PasswordChange, {"password": "another long passphrase"})
    users.set_password(
        runtime.unit_of_work, "viewer-user", change, hashing=runtime.settings.password_hashing
    )
    assert _page_with(console.client, copied).startswith("/admin/login")

    console = as_role("editor")
    copied = _copied_cookie(console)
    users.set_disabled(runtime.unit_of_work, "editor-user", True)
    assert _page_with(console.client, copied).startswith("/admin/login")


def _sign_in(server: ServerProcess, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        token = csrf_of(client.get("/admin/login").text)
        form = {"csrf_token": token, "username": username, "password": password}
        return client.post("/admin/login", data=form)


@pytest.fixture
def two_servers(seeded: object, database_url: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    runtime = Runtime(Settings(database_url=database_url, environment="test"))
    make_users(runtime)
    runtime.close()
    servers: list[ServerProcess] = []
    try:
        for _ in range(2):
            servers.append(
                ServerProcess(
                    database_url,
                    tmp_path,
                    MODELPLANE_ENVIRONMENT="development",
                    MODELPLANE_SECRET_KEY=SECRET,
                )
            )
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_sign_out_and_sign_in_limits_hold_across_processes(
    two_servers: list[ServerProcess],
) -> None:
    """Two ``modelplane serve`` processes on one database (server processes start slowly,
    so one test covers both rules)."""
    a, b = two_servers
    with httpx.Client(base_url=a.url, timeout=10) as browser:
        token = csrf_of(browser.get("/admin/login").text)
        form = {"csrf_token": token, "username": "admin-user", "password": PASSWORD}
        assert browser.post("/admin/login", data=form, follow_redirects=True).status_code == 200
        cookie = {"modelplane_session": str(browser.cookies.get("modelplane_session"))}
        on_b = httpx.get(f"{b.url}/admin/models", cookies=cookie, follow_redirects=False)
        assert on_b.status_code == 200  # one session, good on every process
        token = csrf_of(browser.get("/admin/bulk").text)
        browser.post("/admin/logout", data={"csrf_token": token})
    on_b = httpx.get(f"{b.url}/admin/models", cookies=cookie, follow_redirects=False)
    assert on_b.status_code == 303
    assert on_b.headers["location"].startswith("/admin/login")

    # Failures on either process count for the one client address (loopback).
    for i in range(3):
        assert _sign_in(a, f"nobody-{i}", "wrong").status_code == 401
    for i in range(2):
        assert _sign_in(b, f"nobody-{3 + i}", "wrong").status_code == 401
    assert _sign_in(a, "admin-user", PASSWORD).status_code == 429
    assert _sign_in(b, "admin-user", PASSWORD).status_code == 429
