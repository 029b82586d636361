"""An immutable, consistent picture of everything readers need, swapped in whole.

Built once per change (never per request); a request pins one snapshot for its whole life,
so it never sees half of one version and half of another. Building one also compiles the
router's data (every per-model term), so the first decision after a change pays nothing.

Two kinds of derived router data are compiled on first use instead, once per snapshot (see
``router_data``): an experiment variant's config (keyed by snapshot identity, experiment and
variant: only variants that some user is assigned get compiled), and, during a partial
rollout, one source's catalogue routed with the other source's routing data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import Engine

from modelplane.domain.clock import utcnow
from modelplane.domain.experiments import Experiment
from modelplane.domain.flags import Flag
from modelplane.domain.models import Model, Provider
from modelplane.domain.prices import next_change
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.query import ANY, ModelFilter, filter_models, search_models
from modelplane.domain.router_config import RouterConfig, RouterConfigDoc
from modelplane.router.selection.compiled import (
    CompiledRouter,
    compile_router,
    recompile_models,
)
from modelplane.store.auth_repositories import TokenRecord
from modelplane.store.live_reads import Edits, read_everything
from modelplane.store.static import StaticTables, static_tables

T = TypeVar("T")
log = logging.getLogger(__name__)


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
    built_at: datetime = field(default_factory=utcnow)
    model_json: Mapping[str, bytes] = field(default_factory=dict)
    """Each model's API JSON, rendered once at build time for the hot read path."""
    ordered_ids: tuple[str, ...] = ()
    flags: Mapping[str, Flag] = field(default_factory=dict)
    experiments: tuple[Experiment, ...] = ()
    """The running experiments."""
    tokens: Mapping[str, TokenRecord] = field(default_factory=dict)
    """Active API tokens by hash, so requests authenticate without the database."""
    router_data: CompiledRouter | None = None
    """The router compiled from this snapshot's models, profiles, categories and config;
    ``None`` (with ``router_data_error``) if that failed: routing then says why."""
    router_data_error: str | None = None
    next_price_change: datetime | None = None
    """When the next scheduled price of any model starts (``with_due_prices``)."""
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
        now = utcnow()
        by_id = {m.id: m.priced_at(now) for m in sorted(models, key=lambda m: m.id)}
        rendered = {m.id: _render(m) for m in by_id.values()}
        data, error = _compiled(list(by_id.values()), profiles, router_config, categories)
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
            router_data=data,
            router_data_error=error,
            built_at=now,
            next_price_change=_next_price_change(by_id.values(), now),
        )

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """``build()`` once per snapshot (a derived view, e.g. a rendered list). Racing
        threads may both build; either result is the same."""
        cache = self._memo
        if key not in cache:
            cache[key] = build()
        value: T = cache[key]
        return value

    def with_models(
        self,
        sequence: int,
        changed: dict[str, Model | None],
        now: datetime | None = None,
        router_config: RouterConfig | None = None,
    ) -> Snapshot:
        """A new snapshot at ``sequence`` where only ``changed`` models differ (``None``:
        gone), and the router config if a new one comes (see ``with_edits``)."""
        return self.with_edits(
            Edits(sequence, [], models=changed, router_config=router_config), now
        )

    def with_edits(self, edits: Edits, now: datetime | None = None) -> Snapshot:
        """A new snapshot at ``edits.sequence`` where only the rows ``edits`` carries
        differ; it equals a full load at that sequence. Everything else is shared with this
        one, and only what depends on the changed rows is derived again:

        - changed models are rendered again; the router terms of changed models and of
          models whose profile changed are compiled again, the others kept;
        - a new router config or new categories reach every model's terms: the router is
          compiled again whole (from the snapshot's rows, nothing is read);
        - flags, tokens, providers and experiments feed no derived data: they are swapped.

        The memo (the rendered lists, a variant's router) is kept when no model, profile,
        config, category or experiment changed, since everything it holds is derived from
        those; else it starts empty and fills on first use."""
        now = now or utcnow()
        changed = {k: m.priced_at(now) if m is not None else None for k, m in edits.models.items()}
        changed = {**self._due_prices(now), **changed}  # a price that started meanwhile too
        models, rendered, ordered = self.models, self.model_json, self.ordered_ids
        if changed:
            by_id = _merged(self.models, changed)
            json_of = _merged(
                self.model_json,
                {k: None if m is None else _render(m) for k, m in changed.items()},
            )
            if by_id.keys() != self.models.keys():
                by_id = dict(sorted(by_id.items()))
                ordered = tuple(by_id)
            models, rendered = MappingProxyType(by_id), MappingProxyType(json_of)
        profiles = self.profiles
        if edits.profiles:
            profiles = MappingProxyType(_merged(self.profiles, edits.profiles))
        config = edits.router_config or self.router_config
        categories = tuple(edits.categories) if edits.categories is not None else self.categories
        whole = edits.router_config is not None or edits.categories is not None
        data, error = self.router_data, self.router_data_error
        if whole or (data is None and (changed or edits.profiles)):
            ordered_profiles = sorted(profiles.values(), key=lambda p: p.model_id)
            data, error = _compiled(list(models.values()), ordered_profiles, config, categories)
        elif data is not None and (changed or edits.profiles):
            data = recompile_models(
                data, list(models.values()), {*changed, *edits.profiles}, profiles
            )
        flags = self.flags
        if edits.flags:
            flags = MappingProxyType(dict(sorted(_merged(self.flags, edits.flags).items())))
        derived = changed or edits.profiles or whole or edits.experiments is not None
        return replace(
            self,
            sequence=edits.sequence,
            models=models,
            model_json=rendered,
            ordered_ids=ordered,
            profiles=profiles,
            router_config=config,
            categories=categories,
            providers=tuple(edits.providers) if edits.providers is not None else self.providers,
            flags=flags,
            experiments=(
                tuple(e for e in edits.experiments if e.status == "running")
                if edits.experiments is not None
                else self.experiments
            ),
            tokens=MappingProxyType(dict(edits.tokens))
            if edits.tokens is not None
            else self.tokens,
            built_at=now,
            router_data=data,
            router_data_error=error,
            next_price_change=_next_price_change(models.values(), now),
            _memo={} if derived else dict(self._memo),
        )

    def _due_prices(self, now: datetime) -> dict[str, Model | None]:
        """The models whose price in force has changed by ``now``, priced as at ``now``."""
        if self.next_price_change is None or now < self.next_price_change:
            return {}
        return {
            m.id: m.priced_at(now)
            for m in self.models.values()
            if m.price_timeline and m.pricing_at(now) != m.pricing
        }

    def with_due_prices(self, now: datetime) -> Snapshot | None:
        """When a scheduled price has started by ``now``: this snapshot with every model
        priced as in force now (same sequence: no write happened); else ``None``."""
        if self.next_price_change is None or now < self.next_price_change:
            return None
        changed = self._due_prices(now)
        if not changed:
            return replace(self, next_price_change=_next_price_change(self.models.values(), now))
        return self.with_models(self.sequence, changed, now)

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or utcnow()) - self.built_at).total_seconds()

    @property
    def identity(self) -> tuple[object, ...]:
        """Names this snapshot's data: a new snapshot is built on every change."""
        return ("snapshot", self.sequence, self.source, self.built_at)

    def compiled(self) -> CompiledRouter:
        """``router_data``, or the error its compilation raised."""
        if self.router_data is None:
            raise RuntimeError(self.router_data_error or "the router data is not compiled")
        return self.router_data

    # Reads, with the semantics of the database source --------------------------------------

    def get_model(self, model_id: str) -> Model | None:
        return self.models.get(model_id)

    def list_models(self, filters: ModelFilter = ANY) -> list[Model]:
        return filter_models(self.models.values(), filters)

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ANY
    ) -> list[Model]:
        return search_models(self.models.values(), text, limit, filters)

    def model_ids(self) -> list[str]:
        return list(self.ordered_ids)

    def profile(self, model_id: str) -> Profile | None:
        return self.profiles.get(model_id)

    def profiles_list(self) -> list[Profile]:
        return sorted(self.profiles.values(), key=lambda p: p.model_id)


def router_data(
    models: Snapshot,
    routing: Snapshot,
    variant: tuple[str, str, RouterConfigDoc] | None = None,
) -> CompiledRouter:
    """The router data for ``models``' catalogue routed with ``routing``'s profiles,
    categories and config, or with an experiment variant's config ``(experiment, variant,
    document)`` versioned like the stored config it varies.

    One snapshot and no variant: the data compiled when it was built. Otherwise (a partial
    rollout mixing sources, or a variant) it is compiled on first use and kept in the memo
    of the database's snapshot of the two, keyed by the other's identity and the variant:
    it lives exactly as long as the data it was compiled from.
    """
    if models is routing and variant is None:
        return models.compiled()
    keeper, other = (routing, models) if routing.source == "db" else (models, routing)
    key = ("router-data", other.identity, variant[:2] if variant else None)

    def build() -> CompiledRouter:
        config = routing.router_config
        if variant is not None:
            config = RouterConfig.model_validate(
                {
                    **variant[2].model_dump(),
                    "version": config.version,
                    "updated_at": config.updated_at,
                    "updated_by": config.updated_by,
                }
            )
        return compile_router(
            list(models.models.values()),
            routing.profiles_list(),
            config,
            [c.id for c in routing.categories],
        )

    return keeper.memo(key, build)


def _compiled(
    models: list[Model],
    profiles: Iterable[Profile],
    config: RouterConfig,
    categories: Iterable[TaskCategory],
) -> tuple[CompiledRouter | None, str | None]:
    try:
        return compile_router(models, list(profiles), config, [c.id for c in categories]), None
    except Exception as exc:  # bad data must not stop the catalogue from being served
        log.exception("compiling the router data failed")
        return None, f"{type(exc).__name__}: {exc}"


def _merged(rows: Mapping[str, T], edits: Mapping[str, T | None]) -> dict[str, T]:
    """``rows`` with ``edits`` applied: a value replaces or adds its key, ``None`` drops it."""
    merged = dict(rows)
    for key, value in edits.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _next_price_change(models: Iterable[Model], now: datetime) -> datetime | None:
    upcoming = [
        change
        for m in models
        if m.price_timeline and (change := next_change(m.price_timeline, now)) is not None
    ]
    return min(upcoming, default=None)


def _render(model: Model) -> bytes:
    return json.dumps(model.to_json(), separators=(",", ":"), ensure_ascii=False).encode()


def load_snapshot(engine: Engine) -> Snapshot:
    """The database's snapshot: everything read in one consistent transaction."""
    rows = read_everything(engine)
    return Snapshot.build(
        sequence=rows.sequence,
        source="db",
        models=rows.models,
        providers=rows.providers,
        categories=rows.categories,
        profiles=rows.profiles,
        router_config=rows.router_config,
        flags=rows.flags,
        experiments=rows.experiments,
        tokens=rows.tokens,
    )


def static_snapshot(tables: StaticTables | None = None) -> Snapshot:
    """The static tables as a snapshot; the bundled ones (the default) are built once."""
    if tables is None:
        return _bundled()
    return Snapshot.build(
        sequence=0,
        source="static",
        models=tables.models,
        providers=tables.providers,
        categories=tables.categories,
        profiles=tables.profiles,
        router_config=tables.router_config,
    )


@cache
def _bundled() -> Snapshot:
    return static_snapshot(static_tables())


def describe(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "sequence": snapshot.sequence,
        "source": snapshot.source,
        "models": len(snapshot.models),
        "builtAt": snapshot.built_at.isoformat(),
        "ageSeconds": round(snapshot.age_seconds(), 3),
    }
