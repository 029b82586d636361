"""The read path's source over the live snapshot, pinned per request."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

from modelplane.domain.models import Model, Provider
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.reader import ModelFilter
from modelplane.domain.router_config import RouterConfig
from modelplane.live.catalog import LiveCatalog
from modelplane.live.snapshot import Snapshot

T = TypeVar("T")
_pinned: ContextVar[Snapshot | None] = ContextVar("modelplane_snapshot", default=None)


def pin(snapshot: Snapshot) -> object:
    """Make every read in this context (one request) use ``snapshot``; returns a reset token."""
    return _pinned.set(snapshot)


def unpin(token: object) -> None:
    _pinned.reset(token)  # type: ignore[arg-type]


class SnapshotSource:
    """Reads from the pinned snapshot, else the live one. Never touches the database."""

    def __init__(self, live: LiveCatalog) -> None:
        self.live = live

    def snapshot(self) -> Snapshot:
        return _pinned.get() or self.live.current

    @property
    def name(self) -> str:
        return self.snapshot().source

    def cache_key(self) -> tuple[object, ...]:
        """Identifies the data: a new snapshot is built on every change."""
        snapshot = self.snapshot()
        return ("snapshot", snapshot.sequence, snapshot.source, snapshot.built_at)

    @property
    def degraded(self) -> bool:
        return self.live.degraded

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """A value derived from the current snapshot, computed once per snapshot."""
        return self.snapshot().memo(key, build)

    def rendered(self, model_id: str) -> tuple[bytes, int] | None:
        snapshot = self.snapshot()
        body = snapshot.model_json.get(model_id)
        return (body, snapshot.models[model_id].version) if body is not None else None

    def get_model(self, model_id: str) -> Model | None:
        return self.snapshot().get_model(model_id)

    def list_models(self, filters: ModelFilter) -> list[Model]:
        return self.snapshot().list_models(filters)

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        return self.snapshot().search_models(text, limit, filters)

    def model_ids(self) -> list[str]:
        return self.snapshot().model_ids()

    def providers(self) -> list[Provider]:
        return list(self.snapshot().providers)

    def categories(self) -> list[TaskCategory]:
        return list(self.snapshot().categories)

    def profiles(self) -> list[Profile]:
        return self.snapshot().profiles_list()

    def profile(self, model_id: str) -> Profile | None:
        return self.snapshot().profile(model_id)

    def router_config(self) -> RouterConfig:
        return self.snapshot().router_config
