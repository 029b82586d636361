"""Shared fixtures. Database tests run once on SQLite and once on PostgreSQL, each in a
throwaway database created for the run and dropped afterwards.

``MODELPLANE_TEST_BACKENDS`` (default ``sqlite,postgresql``) picks the backends;
``MODELPLANE_TEST_POSTGRES_URL`` names the PostgreSQL server (default: the local one).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    # The application is imported by the fixtures that need it, not here: the fast domain
    # tests then start without loading SQLAlchemy, FastAPI and the whole app.
    from fastapi.testclient import TestClient
    from sqlalchemy import Connection, Engine

    from modelplane.bootstrap import Runtime

BACKENDS = [
    b.strip() for b in os.environ.get("MODELPLANE_TEST_BACKENDS", "sqlite,postgresql").split(",")
]
POSTGRES_URL = os.environ.get(
    "MODELPLANE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

TEST_PASSWORD_HASHING = {"TIME_COST": "1", "MEMORY_COST": "8", "PARALLELISM": "1"}
"""argon2's cheapest cost for the console passwords the tests hash, set before any
``Settings`` is read and inherited by the servers the tests start: the production default
takes about 0.13 s a hash here, paid by every user made and every sign-in.
``tests/web/test_sign_in.py`` hashes at the default cost, and checks that it is argon2's."""
for _name, _value in TEST_PASSWORD_HASHING.items():
    os.environ.setdefault(f"MODELPLANE_PASSWORD_HASH_{_name}", _value)


def random_suffix() -> str:
    return uuid.uuid4().hex[:10]


class ThrowawayDatabases:
    """Creates empty databases for tests and drops them at the end."""

    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._postgres: list[str] = []

    def create(self, backend: str) -> str:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"modelplane_test_{random_suffix()}"
        if backend == "sqlite":
            return f"sqlite:///{self._tmp / name}.db"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._postgres.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self._postgres:
            return
        from sqlalchemy import create_engine, text

        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self._postgres:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``backends(...)`` runs only on those backends, and a browser test only on
    SQLite: the other variants are deselected rather than collected and skipped."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        marker = item.get_closest_marker("backends")
        allowed = marker.args if marker else None
        if allowed is None and item.get_closest_marker("browser"):
            allowed = ("sqlite",)
        wrong_backend = backend is not None and allowed is not None and backend not in allowed
        (dropped if wrong_backend else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayDatabases]:
    dbs = ThrowawayDatabases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, databases: ThrowawayDatabases) -> str:
    """A migrated database for this backend, shared by the run's tests (emptied per test)."""
    from modelplane.store import migrate
    from modelplane.store.database import create_db_engine

    url = databases.create(backend)
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def session_engine(database_url: str) -> Iterator[Engine]:
    from modelplane.store.database import create_db_engine

    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def empty_all_tables(engine: Engine) -> None:
    """Every table emptied and, on PostgreSQL, every key sequence back at 1."""
    with engine.begin() as conn:
        _delete_all(conn)
        if engine.dialect.name == "postgresql":
            _set_sequences(conn, dict.fromkeys(_key_sequences(engine).values(), 1))


def _delete_all(conn: Connection) -> None:
    """``DELETE``, not ``TRUNCATE``, on both backends: PostgreSQL's ``TRUNCATE`` pays a fixed
    cost per table (new files, exclusive locks), about half a second a test for these ~45
    small tables on a loaded machine, where deleting their few hundred rows takes a tenth
    of that."""
    from modelplane.store.tables import metadata

    for table in reversed(metadata.sorted_tables):
        conn.execute(table.delete())


@cache
def _key_sequences(engine: Engine) -> dict[tuple[str, str], str]:
    """PostgreSQL's sequence behind each autoincremented key column, by (table, column),
    looked up once per engine."""
    from sqlalchemy import text

    from modelplane.store.tables import metadata

    found: dict[tuple[str, str], str] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True or (
                    column.autoincrement == "auto" and len(table.primary_key.columns) == 1
                ):
                    sequence = conn.execute(
                        text("SELECT pg_get_serial_sequence(:t, :c)"),
                        {"t": table.name, "c": column.name},
                    ).scalar()
                    if sequence is not None:
                        found[table.name, column.name] = str(sequence)
    return found


def _set_sequences(conn: Connection, next_values: dict[str, int]) -> None:
    """Each named sequence's next value, in one statement."""
    from sqlalchemy import text

    if next_values:
        conn.execute(
            text(
                "SELECT setval(CAST(s AS regclass), v, false)"
                " FROM unnest(CAST(:s AS text[]), CAST(:v AS bigint[])) AS n(s, v)"
            ),
            {"s": list(next_values), "v": list(next_values.values())},
        )


@pytest.fixture
def engine(session_engine: Engine) -> Engine:
    """An empty, migrated database."""
    empty_all_tables(session_engine)
    return session_engine


class SeededRows:
    """The rows a seed writes, captured once per backend and written back per test.

    Running the seed service takes about a second (a versioned save, with its history, for
    each of 120 documents); tests that only need its result get the same rows, primary keys
    and timestamps included, from one insert per table. ``test_seed.py`` runs the service
    itself."""

    def __init__(self, engine: Engine) -> None:
        from sqlalchemy import select

        from modelplane.services.seed import seed
        from modelplane.store.tables import metadata

        empty_all_tables(engine)
        seed(engine)
        self._tables = list(metadata.sorted_tables)
        with engine.connect() as conn:
            self._rows = {
                t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in self._tables
            }
        self._next_keys: dict[str, int] = {}
        """On PostgreSQL, every key sequence's next value: past the keys the rows come with."""
        if engine.dialect.name == "postgresql":
            for (table, column), sequence in _key_sequences(engine).items():
                top = max((row[column] for row in self._rows[table]), default=0)
                self._next_keys[sequence] = top + 1

    def restore(self, engine: Engine) -> None:
        with engine.begin() as conn:
            _delete_all(conn)
            for table in self._tables:
                rows = self._rows[table.name]
                if rows:
                    conn.execute(table.insert(), rows)
            if engine.dialect.name == "postgresql":
                _set_sequences(conn, self._next_keys)


@pytest.fixture(scope="session")
def seeded_rows(session_engine: Engine) -> SeededRows:
    return SeededRows(session_engine)


@pytest.fixture
def seeded(engine: Engine, seeded_rows: SeededRows) -> Engine:
    """A database holding the seeded static tables."""
    seeded_rows.restore(engine)
    return engine


@pytest.fixture
def runtime(seeded: Engine, database_url: str) -> Iterator[Runtime]:
    from modelplane.bootstrap import Runtime
    from modelplane.settings import Settings

    rt = Runtime(Settings(database_url=database_url, environment="test"))
    yield rt
    rt.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from modelplane.api.app import create_app

    with TestClient(create_app(runtime)) as test_client:
        yield test_client
