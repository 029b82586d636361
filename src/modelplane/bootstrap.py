"""Wiring: settings in, engine and read path out. Every face starts here."""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from modelplane.domain.errors import ModelplaneError
from modelplane.domain.flags import UserContext
from modelplane.domain.reader import CatalogReader
from modelplane.live.catalog import LiveCatalog
from modelplane.live.fleet import Heartbeat
from modelplane.live.snapshot import Snapshot, load_snapshot, static_snapshot
from modelplane.live.source import SnapshotSource, live_snapshot
from modelplane.rollout.assignment import KNOWN, Assignment, Source, choose, environment_sources
from modelplane.rollout.parity import ParityRecorder
from modelplane.settings import Settings
from modelplane.store.auth_repositories import touch_tokens
from modelplane.store.background import BackgroundWriter
from modelplane.store.database import create_db_engine, describe_failure
from modelplane.store.decision_log import DecisionLog
from modelplane.store.liveness import Timeouts
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """The process's long-lived parts, built lazily from one ``Settings``.

    ``live=True`` (the server) serves reads from an in-memory snapshot kept fresh by a
    watcher thread; otherwise (one-shot CLI commands) from a snapshot loaded from the
    database on the first read (the same loader), reloaded after this process's own writes.
    Either way, while the database cannot be reached the static tables serve, and a
    warning says so.
    """

    settings: Settings = field(default_factory=Settings)
    live_reads: bool = False
    face: str = "api"
    """Where this process's writes come from, for the audit log: ``api`` (the server; the
    console asks for its own with ``unit_of_work_for``), ``cli``."""

    def __post_init__(self) -> None:
        self._loaded: Snapshot | None = None
        self._loaded_degraded = False
        self._load_lock = threading.Lock()

    @cached_property
    def engine(self) -> Engine:
        s = self.settings
        timeouts = Timeouts(
            connect=s.db_connect_timeout,
            statement=s.db_statement_timeout,
            lock=s.db_lock_timeout,
            pool=s.db_pool_timeout,
        )
        return create_db_engine(s.database_url, timeouts)

    @cached_property
    def live(self) -> LiveCatalog:
        """The live catalogue; started on first use."""
        interval = self.settings.sqlite_poll_interval_ms / 1000
        return LiveCatalog(self.engine, poll_interval=interval).start()

    @cached_property
    def overrides(self) -> dict[str, bool]:
        """The environment's flag overrides (``Settings.overrides``), read once."""
        return self.settings.overrides()

    @cached_property
    def heartbeat(self) -> Heartbeat:
        """This serving process's heartbeat into ``fleet_processes``; started on first use."""
        return Heartbeat(
            self.engine,
            self.live,
            interval=self.settings.heartbeat_interval_ms / 1000,
            behind_after=self.settings.fleet_behind_after_ms / 1000,
        ).start()

    # The data ------------------------------------------------------------------------------

    def database_snapshot(self) -> Snapshot:
        """The database's data as this process serves it: the live snapshot pinned for this
        request (server) or the one loaded once (one-shot); the static tables' snapshot
        while the database cannot be reached."""
        if self.live_reads:
            return live_snapshot(self.live)
        with self._load_lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> Snapshot:
        try:
            snapshot = load_snapshot(self.engine)
        except OperationalError as exc:
            url = self.engine.url.render_as_string(hide_password=False)
            problem = describe_failure(url, exc)
        except (SQLAlchemyError, ModelplaneError) as exc:
            problem = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        else:
            self._loaded_degraded = False
            return snapshot
        log.warning("%s; serving the static tables", problem)
        self._loaded_degraded = True
        return static_snapshot()

    def snapshot_for(self, source: Source) -> Snapshot:
        return self.database_snapshot() if source == "db" else static_snapshot()

    def assignment(self, context: UserContext | None) -> Assignment:
        """Which sources, experiment arm and shadowing a request gets
        (``rollout/assignment.py``). A request for a user, in the server: the flags and
        experiments of the pinned snapshot decide. Without a user or a live snapshot
        (the one-shot CLI, the console's process-wide reads): the environment alone."""
        if context is None or not self.live_reads:
            return environment_sources(self.overrides)
        snapshot = live_snapshot(self.live)
        return choose(
            context,
            snapshot.flags,
            snapshot.experiments,
            self.overrides,
            defaults=KNOWN,
            roll=random.random() * 100,
        )

    # The read path ---------------------------------------------------------------------------

    @cached_property
    def _sources(self) -> dict[Source, SnapshotSource]:
        database = SnapshotSource(self.database_snapshot, self._database_degraded)
        return {"db": database, "static": SnapshotSource.fixed(static_snapshot())}

    def _database_degraded(self) -> bool:
        return self.live.degraded if self.live_reads else self._loaded_degraded

    @cached_property
    def _readers(self) -> dict[tuple[Source, Source], CatalogReader]:
        sources = self._sources
        return {
            (models, routing): CatalogReader(sources[models], sources[routing])
            for models in sources
            for routing in sources
        }

    def reader_of(self, assignment: Assignment) -> CatalogReader:
        return self._readers[assignment.sources]

    @property
    def reader(self) -> CatalogReader:
        """The process-wide read path (no user): the sources the environment allows."""
        return self.reader_of(environment_sources(self.overrides))

    def reader_for(self, context: UserContext) -> CatalogReader:
        """The read path for one user's request."""
        return self.reader_of(self.assignment(context))

    def source_readers(self) -> tuple[CatalogReader, CatalogReader]:
        """(static tables, database) readers, for parity comparisons."""
        return self._readers[("static", "static")], self._readers[("db", "db")]

    # Background writers and transactions -------------------------------------------------------

    @cached_property
    def parity(self) -> ParityRecorder:
        """Where shadow-mode samples go, written in the background."""
        return ParityRecorder(self.engine)

    @cached_property
    def _token_uses(self) -> BackgroundWriter[str]:
        return BackgroundWriter(self.engine, touch_tokens, "token use", capacity=1000)

    def note_token_use(self, name: str) -> None:
        """Queue "token ``name`` was used now" for the background writer."""
        self._token_uses.put(name)

    @cached_property
    def decisions(self) -> DecisionLog:
        """The routing decision log, written in the background."""
        return DecisionLog(self.engine)

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        """A transaction; ``read_only`` ones never take SQLite's write lock."""
        return UnitOfWork(
            self.engine, after_commit=self._after_commit, read_only=read_only, face=self.face
        )

    def unit_of_work_for(self, face: str) -> UnitOfWorkFactory:
        """A factory whose writes are recorded as coming through ``face``."""

        def open_unit(read_only: bool = False) -> UnitOfWork:
            return UnitOfWork(
                self.engine, after_commit=self._after_commit, read_only=read_only, face=face
            )

        return open_unit

    def _after_commit(self, sequence: int | None) -> None:
        # Read your own writes: this process swaps in the new snapshot before answering
        # (or, one-shot, loads a new one on the next read); other processes hear of it
        # through NOTIFY or their poll.
        if sequence is None:
            return
        if "live" in self.__dict__:
            self.live.refresh()
        with self._load_lock:
            self._loaded = None

    def close(self) -> None:
        if "decisions" in self.__dict__:
            self.decisions.close()
        if "parity" in self.__dict__:
            self.parity.close()
        if "_token_uses" in self.__dict__:
            self._token_uses.close()
        if "heartbeat" in self.__dict__:
            self.heartbeat.stop()
        if "live" in self.__dict__:
            self.live.stop()
        if "engine" in self.__dict__:
            self.engine.dispose()
