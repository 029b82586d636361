"""Wiring: settings in, engine and read path out. Every face starts here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from modelplane.catalog.reader import CatalogReader
from modelplane.settings import Settings
from modelplane.store.database import create_db_engine
from modelplane.store.sources import build_reader
from modelplane.store.unit_of_work import UnitOfWork


@dataclass
class Runtime:
    """The process's long-lived parts, built lazily from one ``Settings``."""

    settings: Settings = field(default_factory=Settings)

    @cached_property
    def engine(self) -> Engine:
        return create_db_engine(self.settings.database_url)

    @cached_property
    def reader(self) -> CatalogReader:
        needs_db = "db" in (self.settings.models_source, self.settings.router_config_source)
        return build_reader(
            self.settings.models_source,
            self.settings.router_config_source,
            self.engine if needs_db else None,
        )

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
