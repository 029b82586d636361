"""Console fixtures: users of each role, a signed-in test client, and (for the browser
tests) a real server in a thread and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.domain.validation import validate
from modelplane.services import users
from modelplane.settings import Settings
from tests.support import free_port, wait_until

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "editor", "viewer")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def make_users(runtime: Runtime) -> None:
    """``admin-user``, ``editor-user`` and ``viewer-user``, each of that role."""
    with runtime.unit_of_work() as uow:
        for role in ROLES:
            spec = validate(
                users.UserSpec, {"username": f"{role}-user", "role": role, "password": PASSWORD}
            )
            users.create_user(uow, spec, "test", hashing=runtime.settings.password_hashing)
        uow.commit()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class Console:
    """A test client signed in as one user, which knows the page's CSRF token.
    Its answers are ``httpx2`` responses: Starlette's test client is built on httpx2."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx2.Response:
        page = self.client.get("/admin/login")
        response = self.client.post(
            "/admin/login",
            data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
        )
        self.refresh_csrf()
        return response

    def refresh_csrf(self) -> None:
        page = self.client.get("/admin/login", follow_redirects=False)
        if page.status_code == 200:
            self.csrf = csrf_of(page.text)
        else:
            self.csrf = csrf_of(self.client.get("/admin/bulk").text)

    def get(self, path: str, **kwargs: Any) -> httpx2.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> httpx2.Response:
        """Post a form: a dict, or a list of pairs for repeated names, with the CSRF token."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        body = urlencode([("csrf_token", self.csrf), *pairs])
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.client.post(path, content=body, headers=headers, **kwargs)


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user data directory (import previews, the development key): the test's own."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    return tmp_path / "data-home" / "modelplane"


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    make_users(runtime)
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def as_role(app_client: TestClient) -> Any:
    """``as_role("editor")`` signs the client in as that role's user."""

    def sign_in(role: str) -> Console:
        app_client.cookies.clear()
        console = Console(app_client)
        response = console.sign_in(f"{role}-user")
        assert response.status_code == 200, response.text
        return console

    return sign_in


# Browser -----------------------------------------------------------------------------------


class LiveServer:
    """The app served by uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, runtime: Runtime) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(runtime),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=20)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(seeded: Engine, database_url: str, backend: str) -> Iterator[LiveServer]:
    if backend != "sqlite":
        pytest.skip("the browser tests run on SQLite; the form tests cover PostgreSQL")
    settings = Settings(database_url=database_url, environment="test", sqlite_poll_interval_ms=50)
    runtime = Runtime(settings, live_reads=True)
    make_users(runtime)
    server = LiveServer(runtime).start()
    yield server
    server.stop()
    runtime.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Any, role: str) -> None:
    page.goto("/admin/login")
    page.get_by_label("Username").fill(f"{role}-user")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/models")


def screenshot(page: Any, name: str, full_page: bool = False) -> None:
    """Save what the window shows (or the whole page) for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
