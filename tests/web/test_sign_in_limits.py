"""Brute-force protection on the console's sign-in page: 429 with Retry-After while a
username or client address is locked out, and X-Forwarded-For believed only from a
trusted proxy. The limiter's clock is injected, so nothing sleeps."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx2
import pytest
from fastapi.testclient import TestClient

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services.sign_in import SignInLimiter
from modelplane.settings import Settings
from tests.services.test_users import Clock
from tests.web.conftest import PASSWORD, csrf_of, make_users

PROXY = "10.0.0.1"
WRONG = "not the password at all"


def client_for(runtime: Runtime, clock: Clock, peer: str = "testclient") -> TestClient:
    app = create_app(runtime)
    app.state.sign_in_limiter = SignInLimiter(runtime.unit_of_work, now=clock)
    return TestClient(app, client=(peer, 50000))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def direct(runtime: Runtime, clock: Clock) -> Iterator[TestClient]:
    """Clients connect straight to the app (the test client's peer is ``testclient``)."""
    make_users(runtime)
    with client_for(runtime, clock) as client:
        yield client


@pytest.fixture
def proxied(seeded: object, database_url: str, clock: Clock) -> Iterator[TestClient]:
    """Every request arrives through a trusted proxy at ``10.0.0.1``."""
    settings = Settings(
        database_url=database_url, environment="test", trusted_proxies=frozenset({PROXY})
    )
    runtime = Runtime(settings)
    make_users(runtime)
    with client_for(runtime, clock, peer=PROXY) as client:
        yield client
    runtime.close()


def attempt(
    client: TestClient, username: str, password: str = WRONG, forwarded: str | None = None
) -> httpx2.Response:
    client.cookies.clear()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    token = csrf_of(client.get("/admin/login").text)
    form = {"csrf_token": token, "username": username, "password": password}
    return client.post("/admin/login", data=form, headers=headers)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(direct: TestClient) -> None:
    for _ in range(5):
        assert attempt(direct, "editor-user").status_code == 401
    refused = attempt(direct, "EDITOR-user", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert (
        "Too many failed sign-ins for this account or address; try again in 30 seconds"
        in refused.text
    )
    assert refused.url.path == "/admin/login"  # not signed in


def test_the_right_password_is_accepted_once_the_lockout_ends(
    direct: TestClient, clock: Clock
) -> None:
    for _ in range(5):
        attempt(direct, "editor-user")
    clock.advance(29)
    assert attempt(direct, "editor-user", PASSWORD).headers["Retry-After"] == "1"
    clock.advance(1)
    signed_in = attempt(direct, "editor-user", PASSWORD)
    assert signed_in.status_code == 200
    assert signed_in.url.path == "/admin/models"


def test_wrong_passwords_for_different_usernames_lock_the_address(direct: TestClient) -> None:
    for name in ("admin-user", "editor-user", "viewer-user", "nobody", "root"):
        assert attempt(direct, name).status_code == 401
    assert attempt(direct, "admin-user", PASSWORD).status_code == 429


def test_a_success_clears_the_usernames_count(proxied: TestClient) -> None:
    for i in range(4):
        attempt(proxied, "viewer-user", forwarded=f"198.51.100.{i}")
    assert attempt(proxied, "viewer-user", PASSWORD, forwarded="198.51.100.9").status_code == 200
    for i in range(4):
        attempt(proxied, "viewer-user", forwarded=f"198.51.100.{10 + i}")
    assert attempt(proxied, "viewer-user", PASSWORD, forwarded="198.51.100.20").status_code == 200


def test_a_lockout_is_logged_once_without_the_password(
    direct: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="modelplane.services.sign_in"):
        for _ in range(5):
            attempt(direct, "editor-user")
        for _ in range(3):
            assert attempt(direct, "editor-user", PASSWORD).status_code == 429
    lockouts = [r.getMessage() for r in caplog.records if "failed sign-ins" in r.getMessage()]
    assert len(lockouts) == 1
    assert "'editor-user'" in lockouts[0] and "testclient" in lockouts[0]
    assert all(
        WRONG not in r.getMessage() and PASSWORD not in r.getMessage() for r in caplog.records
    )


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(direct: TestClient) -> None:
    for i in range(5):
        attempt(direct, f"someone-{i}", forwarded=f"203.0.113.{i}")
    assert attempt(direct, "admin-user", PASSWORD, forwarded="203.0.113.99").status_code == 429


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_counts(
    proxied: TestClient,
) -> None:
    for i in range(5):  # the left-most entries are the client's to forge
        attempt(proxied, f"someone-{i}", forwarded=f"192.0.2.{i}, 203.0.113.5")
    assert attempt(proxied, "admin-user", PASSWORD, forwarded="203.0.113.5").status_code == 429
    through_two = attempt(proxied, "admin-user", PASSWORD, forwarded=f"203.0.113.5, {PROXY}")
    assert through_two.status_code == 429  # a trusted hop is skipped
    other = attempt(proxied, "admin-user", PASSWORD, forwarded="192.0.2.1, 203.0.113.6")
    assert other.status_code == 200


def test_trusted_proxies_come_from_the_environment_as_ip_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELPLANE_TRUSTED_PROXIES", " 10.0.0.1, ::1 ")
    assert Settings().trusted_proxies == {"10.0.0.1", "::1"}
    monkeypatch.setenv("MODELPLANE_TRUSTED_PROXIES", "10.0.0.1,proxy.internal")
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        Settings()
