"""Wiring: settings in, engine and read path out. Every face starts here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from modelplane.domain.flags import MODELS_SOURCE, ROUTER_CONFIG_SOURCE, UserContext
from modelplane.domain.reader import CatalogReader, CatalogSource
from modelplane.live.catalog import LiveCatalog
from modelplane.live.source import SnapshotSource
from modelplane.settings import Settings
from modelplane.store.background import BackgroundWriter
from modelplane.store.database import create_db_engine
from modelplane.store.sources import build_reader, source_for
from modelplane.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from modelplane.rollout.parity import ParityRecorder
    from modelplane.store.decision_log import DecisionLog


@dataclass
class Runtime:
    """The process's long-lived parts, built lazily from one ``Settings``.

    ``live=True`` (the server) serves reads from an in-memory snapshot kept fresh by a
    watcher thread; otherwise (one-shot CLI commands) reads go to the database directly.
    """

    settings: Settings = field(default_factory=Settings)
    live_reads: bool = False

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(self.settings.database_url)

    @cached_property
    def live(self) -> LiveCatalog:
        """The live catalogue; started on first use."""
        interval = self.settings.sqlite_poll_interval_ms / 1000
        return LiveCatalog(self.engine, poll_interval=interval).start()

    @cached_property
    def reader(self) -> CatalogReader:
        s = self.settings
        needs_db = "db" in (s.models_source, s.router_config_source)
        if not (self.live_reads and needs_db):
            return build_reader(
                s.models_source, s.router_config_source, self.engine if needs_db else None
            )
        snapshot: CatalogSource = SnapshotSource(self.live)
        models = snapshot if s.models_source == "db" else source_for("static", None)
        routing = snapshot if s.router_config_source == "db" else source_for("static", None)
        return CatalogReader(models, routing)

    @cached_property
    def _readers(self) -> dict[tuple[bool, bool], CatalogReader]:
        snapshot = SnapshotSource(self.live)
        static = source_for("static", None)
        return {
            (models_db, routing_db): CatalogReader(
                snapshot if models_db else static, snapshot if routing_db else static
            )
            for models_db in (True, False)
            for routing_db in (True, False)
        }

    def reader_for(self, context: UserContext) -> CatalogReader:
        """The read path for one request. In the server, the rollout flags choose per user
        whether models and routing data come from the database (the live snapshot) or the
        static tables; environment overrides win. Elsewhere: the configured reader."""
        if not self.live_reads:
            return self.reader
        from modelplane.services.flags import evaluate_flag

        flags = SnapshotSource(self.live).snapshot().flags
        models_db = evaluate_flag(self.settings, flags, MODELS_SOURCE, context).enabled
        routing_db = evaluate_flag(self.settings, flags, ROUTER_CONFIG_SOURCE, context).enabled
        return self._readers[(models_db, routing_db)]

    def source_readers(self) -> tuple[CatalogReader, CatalogReader]:
        """(static tables, database) readers, for parity comparisons."""
        return self._readers[(False, False)], self._readers[(True, True)]

    @cached_property
    def parity(self) -> ParityRecorder:
        """Where shadow-mode samples go, written in the background."""
        from modelplane.rollout.parity import ParityRecorder

        return ParityRecorder(self.engine)

    @cached_property
    def _token_uses(self) -> BackgroundWriter[str]:
        from modelplane.store.auth_repositories import touch_tokens

        return BackgroundWriter(self.engine, touch_tokens, "token use", capacity=1000)

    def note_token_use(self, name: str) -> None:
        """Queue "token ``name`` was used now" for the background writer."""
        self._token_uses.put(name)

    @cached_property
    def decisions(self) -> DecisionLog:
        """The routing decision log, written in the background."""
        from modelplane.store.decision_log import DecisionLog

        return DecisionLog(self.engine)

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        """A transaction; ``read_only`` ones never take SQLite's write lock."""
        return UnitOfWork(self.engine, after_commit=self._after_commit, read_only=read_only)

    def _after_commit(self, sequence: int | None) -> None:
        # Read your own writes: this process swaps in the new snapshot before answering;
        # other processes hear of it through NOTIFY or their poll.
        if sequence is not None and "live" in self.__dict__:
            self.live.refresh()

    def close(self) -> None:
        if "decisions" in self.__dict__:
            self.decisions.close()
        if "parity" in self.__dict__:
            self.parity.close()
        if "_token_uses" in self.__dict__:
            self._token_uses.close()
        if "live" in self.__dict__:
            self.live.stop()
        if "engine" in self.__dict__:
            self.engine.dispose()
