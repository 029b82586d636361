"""The fleet page, and "applied by N of M processes" after a console write."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings
from tests.support import wait_until
from tests.web.conftest import Console, make_users


@pytest.fixture
def console(seeded: Engine, database_url: str) -> Iterator[Console]:
    settings = Settings(database_url=database_url, environment="test")
    runtime = Runtime(settings, live_reads=True)
    make_users(runtime)
    with runtime.unit_of_work() as uow:
        create_token(uow, TokenSpec(name="old-bot", role="viewer"), "test")
        uow.commit()
    try:
        with TestClient(create_app(runtime)) as client:
            signed_in = Console(client)
            assert signed_in.sign_in("admin-user").status_code == 200
            yield signed_in
    finally:
        runtime.close()


def test_a_write_says_how_many_processes_applied_it(console: Console) -> None:
    revoked = console.post("/admin/tokens/old-bot/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    applied = re.search(r"applied=(\d+)", revoked.headers["location"])
    assert applied, revoked.headers["location"]
    sequence = int(applied.group(1))
    page = console.get(revoked.headers["location"])
    assert f'data-applied="{sequence}"' in page.text

    def answer() -> dict[str, object] | None:
        found: dict[str, object] = console.get(f"/admin/fleet/applied?sequence={sequence}").json()
        return found if found["applied"] == found["total"] == 1 else None

    done = wait_until(answer, timeout=10)
    assert isinstance(done["ms"], int) and done["ms"] >= 0
    fleet = console.get("/admin/fleet")
    assert fleet.status_code == 200 and "data-process=" in fleet.text and ">ok<" in fleet.text


def test_a_page_read_shows_no_applied_banner(console: Console) -> None:
    assert "data-applied" not in console.get("/admin/tokens").text
    assert console.get("/admin/fleet/applied?sequence=0").status_code == 422
