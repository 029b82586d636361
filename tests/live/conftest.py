from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from modelplane.services.seed import seed
from modelplane.store import migrate
from modelplane.store.database import create_db_engine
from tests.conftest import BACKENDS, ThrowawayDatabases


@pytest.fixture
def pg_url(databases: ThrowawayDatabases) -> str:
    """A fresh, migrated, seeded PostgreSQL database of the test's own."""
    if "postgresql" not in BACKENDS:
        pytest.skip("PostgreSQL backend not selected (MODELPLANE_TEST_BACKENDS)")
    url = databases.create("postgresql")
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    seed(engine)
    engine.dispose()
    return url


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = create_db_engine(pg_url)
    yield engine
    engine.dispose()
