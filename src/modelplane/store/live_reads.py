"""What the live catalogue reads: everything in one consistent view, the change log's
sequence and entries, the rows a run of changes touched, and the change notifications.

Consistent means REPEATABLE READ on PostgreSQL; SQLite's read transactions already are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from modelplane.domain.changes import Change
from modelplane.domain.errors import NotFound
from modelplane.domain.experiments import Experiment
from modelplane.domain.flags import Flag
from modelplane.domain.models import Model, Provider
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.router_config import RouterConfig
from modelplane.store.auth_repositories import TokenRecord, TokenRepository
from modelplane.store.liveness import Timeouts, connect
from modelplane.store.repositories import (
    CategoryRepository,
    ChangeLogRepository,
    ModelRepository,
    ProfileRepository,
    ProviderRepository,
    RetirementRepository,
    RouterConfigRepository,
)
from modelplane.store.rollout_repositories import ExperimentRepository, FlagRepository
from modelplane.store.unit_of_work import NOTIFY_CHANNEL

READ_FAILURES = (SQLAlchemyError, OSError)
"""What a read can fail with when the database is away (besides domain errors)."""


@dataclass(frozen=True)
class Everything:
    """Every row a snapshot is built from, read in one consistent view."""

    sequence: int
    models: list[Model]
    providers: list[Provider]
    categories: list[TaskCategory]
    profiles: list[Profile]
    router_config: RouterConfig
    flags: list[Flag]
    experiments: list[Experiment]
    tokens: dict[str, TokenRecord]


@contextmanager
def _consistent(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def read_everything(engine: Engine) -> Everything:
    """Everything, in one consistent transaction; ``NotFound`` before the seed ran."""
    with _consistent(engine) as conn:
        config = RouterConfigRepository(conn).get()
        if config is None:
            raise NotFound("router config", "router (run `modelplane seed`)")
        return Everything(
            sequence=ChangeLogRepository(conn).current(),
            models=_listed(conn, ModelRepository(conn).filtered()),
            providers=ProviderRepository(conn).all(),
            categories=CategoryRepository(conn).all(),
            profiles=ProfileRepository(conn).all(),
            router_config=config,
            flags=FlagRepository(conn).all(),
            experiments=ExperimentRepository(conn).all(),
            tokens=TokenRepository(conn).active_by_hash(),
        )


def _listed(conn: Connection, models: list[Model]) -> list[Model]:
    """The models a snapshot holds: every one but the retired (hidden from every list)."""
    retired = RetirementRepository(conn).ids()
    return [m for m in models if m.id not in retired] if retired else models


def current_sequence(engine: Engine) -> int:
    with engine.connect() as conn:
        return ChangeLogRepository(conn).current()


def changes_between(engine: Engine, after: int, until: int) -> list[Change]:
    with engine.connect() as conn:
        return ChangeLogRepository(conn).since(after, until)


@dataclass(frozen=True)
class Edits:
    """A run of changes, none missing, and the rows they touched as they are now: what a
    snapshot needs to follow them without reading everything again. A field left ``None``
    was not touched; a ``None`` value in a dict is a row that no longer exists (or, for a
    model, is retired)."""

    sequence: int
    changes: list[Change]
    models: dict[str, Model | None] = field(default_factory=dict)
    profiles: dict[str, Profile | None] = field(default_factory=dict)
    """By model id."""
    flags: dict[str, Flag | None] = field(default_factory=dict)
    router_config: RouterConfig | None = None
    providers: list[Provider] | None = None
    categories: list[TaskCategory] | None = None
    experiments: list[Experiment] | None = None
    tokens: dict[str, TokenRecord] | None = None


_FOLLOWED = (
    "model",
    "profile",
    "flag",
    "router_config",
    "provider",
    "category",
    "experiment",
    "token",
    "change_request",
)
"""Changes a snapshot follows without a full reload. Models, profiles and flags are re-read
by id; the router config is one row; providers, categories, experiments and active tokens
are small tables, re-read whole. Change requests: no snapshot holds them (scheduling one
wakes every process's scheduler)."""


def edits_since(engine: Engine, after: int, limit: int) -> Edits | None:
    """In one consistent read: when every change after ``after`` is of a kind a snapshot
    follows, none is missing and at most ``limit`` models and ``limit`` profiles are
    touched, those changes and the rows they touched; else ``None`` (nothing new, a gap,
    another kind of change, or too many rows: the caller reads everything)."""
    with _consistent(engine) as conn:
        log = ChangeLogRepository(conn)
        sequence = log.current()
        changes = log.since(after, sequence)
        numbers = [c.sequence for c in changes]
        if not changes or numbers != list(range(after + 1, sequence + 1)):
            return None  # a gap (a rolled-back number, or history cut short)
        if any(c.kind not in _FOLLOWED for c in changes):
            return None
        touched: dict[str, list[str]] = {}
        for change in changes:
            ids = touched.setdefault(change.kind, [])
            ids.extend(i for i in change.ids if i not in ids)
        if len(touched.get("model", ())) > limit or len(touched.get("profile", ())) > limit:
            return None
        config = None
        if "router_config" in touched:
            config = RouterConfigRepository(conn).get()
            if config is None:
                return None
        models: dict[str, Model | None] = {}
        if "model" in touched:
            repo, retired = ModelRepository(conn), RetirementRepository(conn).ids()
            models = {i: None if i in retired else repo.get(i) for i in touched["model"]}
        profiles = ProfileRepository(conn)
        flags = FlagRepository(conn)
        return Edits(
            sequence,
            changes,
            models=models,
            profiles={i: profiles.get(i) for i in touched.get("profile", ())},
            flags={name: flags.get(name) for name in touched.get("flag", ())},
            router_config=config,
            providers=ProviderRepository(conn).all() if "provider" in touched else None,
            categories=CategoryRepository(conn).all() if "category" in touched else None,
            experiments=ExperimentRepository(conn).all() if "experiment" in touched else None,
            tokens=TokenRepository(conn).active_by_hash() if "token" in touched else None,
        )


def notifies(engine: Engine) -> bool:
    """Whether this database announces commits (PostgreSQL's NOTIFY); else poll."""
    return engine.dialect.name == "postgresql"


class ChangeNotifications:
    """A dedicated PostgreSQL connection LISTENing on the channel every commit NOTIFYs.

    It has the engine's keepalives and timeouts, and ``timeouts.ping`` seconds for any
    answer (``ping``): a connection that has gone silent fails within that."""

    def __init__(self, url: str, timeouts: Timeouts) -> None:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        # Not refused while the database is marked away: this is how the watcher finds out
        # that it is back.
        self._conn = connect(
            conninfo, None, timeouts.ping, autocommit=True, **timeouts.connect_args()
        )
        self._conn.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def sequence(self) -> int:
        """The change log's sequence, read on this connection: a round trip that raises
        if the server does not answer in time, and needs none of the pool's connections."""
        row = self._conn.execute("SELECT coalesce(max(sequence), 0) FROM change_log").fetchone()
        return int(row[0]) if row is not None else 0

    def wait(self, timeout: float) -> bool:
        """Whether a notification arrived within ``timeout`` seconds."""
        return any(True for _ in self._conn.notifies(timeout=timeout, stop_after=1))

    def drain(self, timeout: float) -> None:
        """Swallow what else arrives within ``timeout`` seconds (a burst)."""
        for _ in self._conn.notifies(timeout=timeout):
            pass

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ChangeNotifications:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
