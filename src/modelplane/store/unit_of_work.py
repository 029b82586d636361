"""One unit of work per transaction: ``with UnitOfWork(engine) as uow: ...; uow.commit()``.

It rolls back unless told to commit. Every write also appends to the global change log in
the same transaction and, on PostgreSQL, sends a NOTIFY that is delivered on commit.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, RootTransaction, text
from sqlalchemy.exc import OperationalError

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import DatabaseUnavailable
from modelplane.store import tables as t
from modelplane.store.database import WRITE_OPTION, describe_failure
from modelplane.store.repositories import (
    CategoryRepository,
    ChangeLogRepository,
    HistoryRepository,
    ModelRepository,
    ProfileRepository,
    ProviderRepository,
    RouterConfigRepository,
)

NOTIFY_CHANNEL = "modelplane_changes"
_LOCK = 0x6D706C616E65  # "mplane": the advisory lock that orders change numbers


class UnitOfWork:
    models: ModelRepository
    providers: ProviderRepository
    categories: CategoryRepository
    profiles: ProfileRepository
    router_config: RouterConfigRepository
    model_history: HistoryRepository
    profile_history: HistoryRepository
    router_config_history: HistoryRepository
    changes: ChangeLogRepository

    def __init__(
        self,
        engine: Engine,
        after_commit: Callable[[int | None], None] | None = None,
        read_only: bool = False,
    ) -> None:
        self._engine = engine
        self._after_commit = after_commit
        self._read_only = read_only
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self.last_sequence: int | None = None
        self._touched: dict[str, list[str]] = {}

    def __enter__(self) -> Self:
        try:
            conn = self._engine.connect()
            if not self._read_only:  # on SQLite a writer takes the write lock up front
                conn = conn.execution_options(**{WRITE_OPTION: True})
            elif conn.dialect.name == "postgresql":  # one consistent view (e.g. an export)
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            self._tx = conn.begin()
        except OperationalError as exc:
            raise DatabaseUnavailable(
                describe_failure(self._engine.url.render_as_string(False), exc)
            ) from None
        self._conn = conn
        self.models = ModelRepository(conn)
        self.providers = ProviderRepository(conn)
        self.categories = CategoryRepository(conn)
        self.profiles = ProfileRepository(conn)
        self.router_config = RouterConfigRepository(conn)
        self.model_history = HistoryRepository(conn, t.model_history)
        self.profile_history = HistoryRepository(conn, t.profile_history)
        self.router_config_history = HistoryRepository(conn, t.router_config_history)
        self.changes = ChangeLogRepository(conn)
        return self

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "use the unit of work in a with block"
        return self._conn

    def touch(self, kind: str, entity_id: str) -> None:
        """Note that this transaction changed ``entity_id`` (a model, a profile, ...)."""
        ids = self._touched.setdefault(kind, [])
        if entity_id not in ids:
            ids.append(entity_id)

    def commit(self) -> None:
        """Advance the global change sequence (one entry per kind touched) and commit.
        On PostgreSQL, listeners hear of it when the commit lands."""
        assert self._tx is not None
        at = utcnow()
        postgres = self.connection.dialect.name == "postgresql"
        if self._touched and postgres:
            # Hand out change numbers in commit order: without this, a writer that took
            # number 10 could commit after one that took 11, and a process that had already
            # loaded 11 would never load 10. Held only for the tail of the transaction.
            self.connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        for kind, ids in self._touched.items():
            self.last_sequence = self.changes.append(kind, ids, at)
        if self.last_sequence is not None and postgres:
            self.connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": str(self.last_sequence)},
            )
        self._touched = {}
        self._tx.commit()
        if self._after_commit is not None:
            self._after_commit(self.last_sequence)

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
