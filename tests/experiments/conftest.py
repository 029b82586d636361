"""A live runtime (flags and experiments apply per user) over the real HTTP app, with a
token per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from modelplane.api.app import create_app
from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings


@pytest.fixture
def live(seeded: Engine, database_url: str) -> Iterator[Runtime]:
    rt = Runtime(Settings(database_url=database_url, environment="test"), live_reads=True)
    yield rt
    rt.close()


@pytest.fixture
def api(live: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(live)) as test_client:
        yield test_client


@pytest.fixture
def headers(live: Runtime) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    with live.unit_of_work() as uow:
        for role in ("viewer", "editor", "admin", "ingest"):
            _, token = create_token(uow, TokenSpec(name=f"{role}-token", role=role), "test")
            found[role] = {"Authorization": f"Bearer {token}"}
        uow.commit()
    return found
