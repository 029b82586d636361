"""One unit of work per transaction: ``with UnitOfWork(engine) as uow: ...; uow.commit()``.

It rolls back unless told to commit. Every write also appends to the global change log in
the same transaction and, on PostgreSQL, sends a NOTIFY that is delivered on commit.

Services open their own units of work from a ``UnitOfWorkFactory`` (``Runtime.unit_of_work``);
faces never see one. This module is also the one place where the database's errors become
domain errors (``translate_db_errors``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Protocol, Self

from psycopg.errors import TransactionRollback
from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import ConcurrentWrite, DatabaseUnavailable, FieldError, InvalidInput
from modelplane.store import tables as t
from modelplane.store.audit import AuditRepository
from modelplane.store.database import WRITE_OPTION, describe_failure
from modelplane.store.liveness import liveness_of
from modelplane.store.locks import RuleFamily, hold
from modelplane.store.moments import MomentRepository
from modelplane.store.price_repository import PriceRepository
from modelplane.store.repositories import (
    CategoryRepository,
    ChangeLogRepository,
    HistoryRepository,
    ModelRepository,
    ProfileRepository,
    ProviderRepository,
    RetirementRepository,
    RouterConfigRepository,
)
from modelplane.store.rollout_repositories import ExperimentRepository, FlagRepository
from modelplane.store.sync_repositories import ProvenanceRepository, SyncRunRepository

NOTIFY_CHANNEL = "modelplane_changes"
_LOCK = 0x6D706C616E65  # "mplane": the advisory lock that orders change numbers
_ROLLBACK_ERRORS = (TransactionRollback,)  # serialisation failures and deadlocks: retry


DB_ERRORS = (DBAPIError, PoolTimeout)
"""What the database (or the wait for one of its connections) can fail with."""


@contextmanager
def translate_db_errors(engine: Engine) -> Iterator[None]:
    """The database's errors as domain errors, every class of them:

    - a unique or foreign-key violation (two writers created the same thing at once), a
      serialisation failure or a deadlock: ``ConcurrentWrite`` (409, try again);
    - a value the database cannot store (``DataError``: a NUL byte, a number out of range):
      ``InvalidInput`` (422);
    - no free pooled connection in time, a lost, refused or silent connection, a statement
      or lock timeout, and anything else the server refuses: ``DatabaseUnavailable`` (503),
      naming the URL without its password.
    """
    try:
        yield
    except IntegrityError:
        raise ConcurrentWrite() from None
    except PoolTimeout:
        pool = engine.pool.status() if hasattr(engine.pool, "status") else "busy"
        message = f"no database connection free in time ({pool})"
        raise DatabaseUnavailable(message) from None
    except DBAPIError as exc:
        cause = exc.orig
        if isinstance(cause, _ROLLBACK_ERRORS):
            raise ConcurrentWrite() from None
        if isinstance(exc, DataError):
            reason = str(cause).strip().splitlines()[0] if str(cause).strip() else "invalid"
            error = FieldError("", f"the database refused a value: {reason}")
            raise InvalidInput([error]) from None
        url = engine.url.render_as_string(hide_password=False)
        raise DatabaseUnavailable(describe_failure(url, exc)) from None


def ping(engine: Engine) -> None:
    """``DatabaseUnavailable`` unless the database answers a trivial query."""
    with translate_db_errors(engine), engine.connect() as conn:
        conn.execute(text("SELECT 1"))


class UnitOfWork:
    models: ModelRepository
    providers: ProviderRepository
    categories: CategoryRepository
    profiles: ProfileRepository
    router_config: RouterConfigRepository
    model_history: HistoryRepository
    retirements: RetirementRepository
    profile_history: HistoryRepository
    router_config_history: HistoryRepository
    changes: ChangeLogRepository
    flags: FlagRepository
    flag_history: HistoryRepository
    experiments: ExperimentRepository
    prices: PriceRepository
    moments: MomentRepository
    provenance: ProvenanceRepository
    sync_runs: SyncRunRepository
    audit: AuditRepository

    def __init__(
        self,
        engine: Engine,
        after_commit: Callable[[int | None], None] | None = None,
        read_only: bool = False,
        face: str | None = None,
    ) -> None:
        self._engine = engine
        self.face = face
        """Where the change came from (``api``, ``console``, ``cli``): kept with each
        history row and audit event."""
        self._after_commit = after_commit
        self._read_only = read_only
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self.last_sequence: int | None = None
        self._touched: dict[str, list[str]] = {}
        self._nested: list[tuple[NestedTransaction, dict[str, list[str]]]] = []
        self._held: set[RuleFamily] = set()

    def __call__(self, read_only: bool = False) -> UnitOfWork:
        """An open unit of work is also a factory: a service handed one joins its
        transaction (in a savepoint: the service's ``commit`` releases it, its failure rolls
        back only its own work) and the outermost ``commit`` commits everything. This is how
        a caller composes several services in one transaction."""
        assert self._conn is not None, "only an open unit of work can be joined"
        assert read_only or not self._read_only, "a write cannot join a read-only unit of work"
        return self

    def __enter__(self) -> Self:
        if self._conn is not None:  # joined: see __call__
            with translate_db_errors(self._engine):
                savepoint = self._conn.begin_nested()
            touched = {kind: list(ids) for kind, ids in self._touched.items()}
            self._nested.append((savepoint, touched))
            return self
        refusal = liveness_of(self._engine).refusal()
        if refusal is not None:  # a silent database: answer now, not after a deadline
            raise DatabaseUnavailable(f"database unreachable: {refusal}")
        with translate_db_errors(self._engine):
            conn = self._engine.connect()
            if not self._read_only:  # on SQLite a writer takes the write lock up front
                conn = conn.execution_options(**{WRITE_OPTION: True})
            elif conn.dialect.name == "postgresql":  # one consistent view (e.g. an export)
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            self._tx = conn.begin()
        self._conn = conn
        self.models = ModelRepository(conn)
        self.retirements = RetirementRepository(conn)
        self.providers = ProviderRepository(conn)
        self.categories = CategoryRepository(conn)
        self.profiles = ProfileRepository(conn)
        self.router_config = RouterConfigRepository(conn)
        self.model_history = HistoryRepository(conn, t.model_history, self.face)
        self.profile_history = HistoryRepository(conn, t.profile_history, self.face)
        self.router_config_history = HistoryRepository(conn, t.router_config_history, self.face)
        self.changes = ChangeLogRepository(conn)
        self.flags = FlagRepository(conn)
        self.flag_history = HistoryRepository(conn, t.flag_history, self.face)
        self.experiments = ExperimentRepository(conn)
        self.prices = PriceRepository(conn)
        self.moments = MomentRepository(conn)
        self.provenance = ProvenanceRepository(conn)
        self.sync_runs = SyncRunRepository(conn)
        self.audit = AuditRepository(conn, self.face)
        return self

    @property
    def read_only(self) -> bool:
        return self._read_only

    @property
    def connection(self) -> Connection:
        assert self._conn is not None, "use the unit of work in a with block"
        return self._conn

    def touch(self, kind: str, entity_id: str) -> None:
        """Note that this transaction changed ``entity_id`` (a model, a profile, ...)."""
        ids = self._touched.setdefault(kind, [])
        if entity_id not in ids:
            ids.append(entity_id)

    def lock(self, family: RuleFamily) -> None:
        """Serialise this transaction with every other writer of ``family``'s rule
        (``store/locks.py``): call it before reading what the rule checks."""
        assert not self._read_only, "a rule's lock is for writers"
        if family in self._held:
            return
        with translate_db_errors(self._engine):
            hold(self.connection, family)
        self._held.add(family)

    def commit(self) -> None:
        """Advance the global change sequence (one entry per kind touched) and commit.
        On PostgreSQL, listeners hear of it when the commit lands."""
        assert self._tx is not None
        if self._nested:  # a joined service is done: the outermost commit commits
            savepoint, _ = self._nested[-1]
            with translate_db_errors(self._engine):
                savepoint.commit()
            return
        assert not self._read_only, "a read-only unit of work cannot commit"
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
        if self._nested:
            savepoint, touched = self._nested.pop()
            if savepoint.is_active:  # not committed: undo this service's work only
                self._touched = touched
                try:
                    savepoint.rollback()
                except Exception:
                    if exc is None:
                        raise
            if isinstance(exc, DB_ERRORS):
                with translate_db_errors(self._engine):
                    raise exc
            return
        try:
            self.rollback()
        except Exception:
            if exc is None:
                raise
        finally:
            if self._conn is not None:
                self._conn.close()
        if isinstance(exc, DB_ERRORS):
            with translate_db_errors(self._engine):
                raise exc


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work: ``Runtime.unit_of_work``. Read-only ones never take SQLite's
    write lock and, on PostgreSQL, see one consistent snapshot."""

    def __call__(self, read_only: bool = False) -> UnitOfWork: ...


def factory_for(engine: Engine) -> UnitOfWorkFactory:
    """A factory with no after-commit hook, for callers that hold only an engine."""

    def open_unit(read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(engine, read_only=read_only)

    return open_unit
