"""The two catalogue sources behind the read path, and the fallback between them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from modelplane.domain.errors import DatabaseUnavailable, NotFound
from modelplane.domain.models import Model, Provider
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.reader import CatalogReader, CatalogSource, ModelFilter, search_rank
from modelplane.domain.router_config import RouterConfig
from modelplane.store.database import describe_failure
from modelplane.store.repositories import (
    CategoryRepository,
    ModelRepository,
    ProfileRepository,
    ProviderRepository,
    RouterConfigRepository,
)
from modelplane.store.static import StaticTables, static_tables

log = logging.getLogger(__name__)
T = TypeVar("T")


class StaticSource:
    """The bundled tables, in memory: the rollback that needs no database."""

    name = "static"

    def __init__(self, tables: StaticTables | None = None) -> None:
        self._tables = tables or static_tables()
        self._by_id = {m.id: m for m in self._tables.models}
        self._profiles = {p.model_id: p for p in self._tables.profiles}

    def cache_key(self) -> tuple[object, ...]:
        return ("static", id(self._tables))

    def get_model(self, model_id: str) -> Model | None:
        return self._by_id.get(model_id)

    def list_models(self, filters: ModelFilter) -> list[Model]:
        return [m for m in sorted(self._by_id.values(), key=_id) if filters.matches(m)]

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        ranked = [
            (r, m.id, m)
            for m in self._by_id.values()
            if filters.matches(m) and (r := search_rank(m, text)) is not None
        ]
        return [m for _, _, m in sorted(ranked, key=lambda x: (x[0], x[1]))][:limit]

    def model_ids(self) -> list[str]:
        return sorted(self._by_id)

    def providers(self) -> list[Provider]:
        return list(self._tables.providers)

    def categories(self) -> list[TaskCategory]:
        return list(self._tables.categories)

    def profiles(self) -> list[Profile]:
        return sorted(self._profiles.values(), key=lambda p: p.model_id)

    def profile(self, model_id: str) -> Profile | None:
        return self._profiles.get(model_id)

    def router_config(self) -> RouterConfig:
        return self._tables.router_config


def _id(model: Model) -> str:
    return model.id


class DatabaseSource:
    """Reads straight from the database, one short connection per call."""

    name = "db"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _read(self, work: Callable[[Connection], T]) -> T:
        try:
            with self._engine.connect() as conn:
                return work(conn)
        except OperationalError as exc:
            url = self._engine.url.render_as_string(hide_password=False)
            raise DatabaseUnavailable(describe_failure(url, exc)) from None

    def get_model(self, model_id: str) -> Model | None:
        return self._read(lambda c: ModelRepository(c).get(model_id))

    def list_models(self, filters: ModelFilter) -> list[Model]:
        return self._read(lambda c: ModelRepository(c).filtered(filters))

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        return self._read(lambda c: ModelRepository(c).search(text, limit, filters))

    def model_ids(self) -> list[str]:
        return self._read(lambda c: ModelRepository(c).ids())

    def providers(self) -> list[Provider]:
        return self._read(lambda c: ProviderRepository(c).all())

    def categories(self) -> list[TaskCategory]:
        return self._read(lambda c: CategoryRepository(c).all())

    def profiles(self) -> list[Profile]:
        return self._read(lambda c: ProfileRepository(c).all())

    def profile(self, model_id: str) -> Profile | None:
        return self._read(lambda c: ProfileRepository(c).get(model_id))

    def router_config(self) -> RouterConfig:
        config = self._read(lambda c: RouterConfigRepository(c).get())
        if config is None:
            raise NotFound("router config", "router")
        return config


class FallbackSource:
    """The database, or the static tables while the database cannot be reached.
    The first fall-back is logged once (again only after the database came back)."""

    def __init__(self, primary: CatalogSource, fallback: CatalogSource) -> None:
        self._primary = primary
        self._fallback = fallback
        self._lock = threading.Lock()
        self.degraded = False

    @property
    def name(self) -> str:
        return self._fallback.name if self.degraded else self._primary.name

    def _call(self, read: Callable[[CatalogSource], T]) -> T:
        try:
            result = read(self._primary)
        except DatabaseUnavailable as exc:
            with self._lock:
                if not self.degraded:
                    log.warning("%s; serving the static tables until it is back", exc)
                    self.degraded = True
            return read(self._fallback)
        if self.degraded:
            with self._lock:
                self.degraded = False
            log.warning("database reachable again; serving it")
        return result

    def get_model(self, model_id: str) -> Model | None:
        return self._call(lambda s: s.get_model(model_id))

    def list_models(self, filters: ModelFilter) -> list[Model]:
        return self._call(lambda s: s.list_models(filters))

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        return self._call(lambda s: s.search_models(text, limit, filters))

    def model_ids(self) -> list[str]:
        return self._call(lambda s: s.model_ids())

    def providers(self) -> list[Provider]:
        return self._call(lambda s: s.providers())

    def categories(self) -> list[TaskCategory]:
        return self._call(lambda s: s.categories())

    def profiles(self) -> list[Profile]:
        return self._call(lambda s: s.profiles())

    def profile(self, model_id: str) -> Profile | None:
        return self._call(lambda s: s.profile(model_id))

    def router_config(self) -> RouterConfig:
        return self._call(lambda s: s.router_config())


def source_for(kind: str, engine: Engine | None) -> CatalogSource:
    """``"static"``: the bundled tables; ``"db"``: the database, falling back to them."""
    if kind == "static" or engine is None:
        return StaticSource()
    return FallbackSource(DatabaseSource(engine), StaticSource())


def build_reader(
    models_source: str, router_config_source: str, engine: Engine | None
) -> CatalogReader:
    models = source_for(models_source, engine)
    routing = (
        models
        if router_config_source == models_source
        else source_for(router_config_source, engine)
    )
    return CatalogReader(models, routing)
