"""A runtime that may post to loopback receivers, an admin token, and a local receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from modelplane.bootstrap import Runtime
from modelplane.services.tokens import TokenSpec, create_token
from modelplane.settings import Settings
from tests.webhooks.receiver import Receiver


@pytest.fixture
def runtime(seeded: Engine, database_url: str) -> Iterator[Runtime]:
    rt = Runtime(
        Settings(database_url=database_url, environment="test", webhooks_allow_private=True)
    )
    yield rt
    rt.close()


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    with runtime.unit_of_work() as uow:
        _, token = create_token(uow, TokenSpec(name="admin-token", role="admin"), "test")
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as found:
        yield found
