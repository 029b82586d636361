"""An immutable, consistent picture of everything readers need, swapped in whole.

Built once per change (never per request); a request pins one snapshot for its whole life,
so it never sees half of one version and half of another.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from modelplane.domain.errors import NotFound
from modelplane.domain.experiments import Experiment
from modelplane.domain.flags import Flag
from modelplane.domain.models import Model, Provider
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.reader import ModelFilter, search_rank
from modelplane.domain.router_config import RouterConfig
from modelplane.store.auth_repositories import TokenRecord, TokenRepository
from modelplane.store.repositories import (
    CategoryRepository,
    ChangeLogRepository,
    ModelRepository,
    ProfileRepository,
    ProviderRepository,
    RouterConfigRepository,
)
from modelplane.store.rollout_repositories import ExperimentRepository, FlagRepository
from modelplane.store.static import StaticTables

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """Catalogue, profiles and router config as of one change ``sequence``."""

    sequence: int
    source: str
    models: Mapping[str, Model]
    providers: tuple[Provider, ...]
    categories: tuple[TaskCategory, ...]
    profiles: Mapping[str, Profile]
    router_config: RouterConfig
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    model_json: Mapping[str, bytes] = field(default_factory=dict)
    """Each model's API JSON, rendered once at build time for the hot read path."""
    ordered_ids: tuple[str, ...] = ()
    flags: Mapping[str, Flag] = field(default_factory=dict)
    experiments: tuple[Experiment, ...] = ()
    """The running experiments."""
    tokens: Mapping[str, TokenRecord] = field(default_factory=dict)
    """Active API tokens by hash, so requests authenticate without the database."""
    _memo: dict[Hashable, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        sequence: int,
        source: str,
        models: list[Model],
        providers: list[Provider],
        categories: list[TaskCategory],
        profiles: list[Profile],
        router_config: RouterConfig,
        flags: list[Flag] | None = None,
        experiments: list[Experiment] | None = None,
        tokens: dict[str, TokenRecord] | None = None,
    ) -> Snapshot:
        by_id = {m.id: m for m in sorted(models, key=lambda m: m.id)}
        rendered = {m.id: _render(m) for m in by_id.values()}
        return cls(
            sequence=sequence,
            source=source,
            models=MappingProxyType(by_id),
            providers=tuple(providers),
            categories=tuple(categories),
            profiles=MappingProxyType({p.model_id: p for p in profiles}),
            router_config=router_config,
            model_json=MappingProxyType(rendered),
            ordered_ids=tuple(by_id),
            flags=MappingProxyType({f.name: f for f in flags or []}),
            experiments=tuple(e for e in experiments or [] if e.status == "running"),
            tokens=MappingProxyType(dict(tokens or {})),
        )

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()`` once per snapshot (a derived view, e.g. a rendered list). Racing
        threads may both build; either result is the same."""
        cache = self._memo
        if key not in cache:
            cache[key] = build()
        value: T = cache[key]
        return value

    def with_models(self, sequence: int, changed: dict[str, Model | None]) -> Snapshot:
        """A new snapshot at ``sequence`` where only ``changed`` models differ (``None``:
        gone). Everything else is shared with this one; only changed models are rendered."""
        models = dict(self.models)
        rendered = dict(self.model_json)
        for model_id, model in changed.items():
            if model is None:
                models.pop(model_id, None)
                rendered.pop(model_id, None)
            else:
                models[model_id] = model
                rendered[model_id] = _render(model)
        by_id = dict(sorted(models.items()))
        return replace(
            self,
            sequence=sequence,
            models=MappingProxyType(by_id),
            model_json=MappingProxyType(rendered),
            ordered_ids=tuple(by_id),
            built_at=datetime.now(UTC),
            _memo={},
        )

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.built_at).total_seconds()

    # Reads, with the semantics of the database source --------------------------------------

    def get_model(self, model_id: str) -> Model | None:
        return self.models.get(model_id)

    def list_models(self, filters: ModelFilter) -> list[Model]:
        return [m for m in self.models.values() if filters.matches(m)]

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        ranked = []
        for model in self.models.values():
            rank = search_rank(model, text) if filters.matches(model) else None
            if rank is not None:
                ranked.append((rank, model.id, model))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [m for _, _, m in ranked][:limit]

    def model_ids(self) -> list[str]:
        return list(self.ordered_ids)

    def profile(self, model_id: str) -> Profile | None:
        return self.profiles.get(model_id)

    def profiles_list(self) -> list[Profile]:
        return sorted(self.profiles.values(), key=lambda p: p.model_id)


def _render(model: Model) -> bytes:
    return json.dumps(model.to_json(), separators=(",", ":"), ensure_ascii=False).encode()


def consistent(conn: Connection) -> Connection:
    """The connection, reading one consistent view (REPEATABLE READ on PostgreSQL; SQLite's
    read transactions already are)."""
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def load_snapshot(engine: Engine) -> Snapshot:
    """Read everything in one consistent transaction (REPEATABLE READ on PostgreSQL)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            return _read_all(conn)


def _read_all(conn: Connection) -> Snapshot:
    sequence = ChangeLogRepository(conn).current()
    config = RouterConfigRepository(conn).get()
    if config is None:
        raise NotFound("router config", "router (run `modelplane seed`)")
    return Snapshot.build(
        sequence=sequence,
        source="db",
        models=ModelRepository(conn).filtered(),
        providers=ProviderRepository(conn).all(),
        categories=CategoryRepository(conn).all(),
        profiles=ProfileRepository(conn).all(),
        router_config=config,
        flags=FlagRepository(conn).all(),
        experiments=ExperimentRepository(conn).all(),
        tokens=TokenRepository(conn).active_by_hash(),
    )


def static_snapshot(tables: StaticTables) -> Snapshot:
    return Snapshot.build(
        sequence=0,
        source="static",
        models=tables.models,
        providers=tables.providers,
        categories=tables.categories,
        profiles=tables.profiles,
        router_config=tables.router_config,
    )


def describe(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "sequence": snapshot.sequence,
        "source": snapshot.source,
        "models": len(snapshot.models),
        "builtAt": snapshot.built_at.isoformat(),
        "ageSeconds": round(snapshot.age_seconds(), 3),
    }
