"""``modelplane serve`` believes ``X-Forwarded-For`` only from MODELPLANE_TRUSTED_PROXIES:
by default uvicorn would trust loopback, and rotating the header from 127.0.0.1 would give
every guess a fresh client address."""

from __future__ import annotations

from pathlib import Path

import httpx

from modelplane.cli.serve import proxy_options
from modelplane.settings import Settings
from tests.support import ServerProcess
from tests.web.conftest import csrf_of


def _bad_sign_in(server: ServerProcess, attempt: int) -> int:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        token = csrf_of(client.get("/admin/login").text)
        form = {"csrf_token": token, "username": f"nobody-{attempt}", "password": "wrong"}
        headers = {"X-Forwarded-For": f"203.0.113.{attempt + 1}"}
        return client.post("/admin/login", data=form, headers=headers).status_code


def test_rotating_forwarded_for_from_loopback_is_still_limited(
    seeded: object, database_url: str, backend: str, tmp_path: Path
) -> None:
    server = ServerProcess(database_url, tmp_path, MODELPLANE_ENVIRONMENT="development")
    try:
        statuses = [_bad_sign_in(server, i) for i in range(12)]
    finally:
        server.stop()
    # Different usernames, so only the client address (loopback, whatever the header says)
    # can be what is limited.
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 7


def test_uvicorn_reads_proxy_headers_only_from_the_trusted_proxies() -> None:
    assert proxy_options(Settings()) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    trusted = Settings(trusted_proxies="10.0.0.2, 10.0.0.1")
    assert proxy_options(trusted) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.1,10.0.0.2",
    }
