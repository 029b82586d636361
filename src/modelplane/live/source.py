"""The read port's implementation: a ``CatalogSource`` over a snapshot.

Whichever snapshot it is (the static tables', the live one pinned for a request, or one
loaded once by a one-shot command), the reads are the same dictionary look-ups and the same
in-memory query (``domain/query.py``); only where the snapshot comes from differs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

from modelplane.domain.models import Model, Provider
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.query import ANY, ModelFilter
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


def live_snapshot(live: LiveCatalog) -> Snapshot:
    """The snapshot pinned for this request, else the live catalogue's current one."""
    return _pinned.get() or live.current


class SnapshotSource:
    """Reads from ``current()``; never touches the database. ``degraded()`` says whether
    the snapshot is a stand-in for the one wanted (the database could not be reached)."""

    def __init__(
        self,
        current: Callable[[], Snapshot],
        degraded: Callable[[], bool] = lambda: False,
    ) -> None:
        self._current = current
        self._degraded = degraded

    @classmethod
    def fixed(cls, snapshot: Snapshot) -> SnapshotSource:
        return cls(lambda: snapshot)

    @classmethod
    def live(cls, live: LiveCatalog) -> SnapshotSource:
        return cls(lambda: live_snapshot(live), lambda: live.degraded)

    def snapshot(self) -> Snapshot:
        return self._current()

    @property
    def name(self) -> str:
        return self.snapshot().source

    @property
    def degraded(self) -> bool:
        return self._degraded()

    def cache_key(self) -> tuple[object, ...]:
        return self.snapshot().identity

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """A value derived from the current snapshot, computed once per snapshot."""
        return self.snapshot().memo(key, build)

    def rendered(self, model_id: str) -> tuple[bytes, int] | None:
        snapshot = self.snapshot()
        body = snapshot.model_json.get(model_id)
        return (body, snapshot.models[model_id].version) if body is not None else None

    def get_model(self, model_id: str) -> Model | None:
        return self.snapshot().get_model(model_id)

    def list_models(self, filters: ModelFilter = ANY) -> list[Model]:
        return self.snapshot().list_models(filters)

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ANY
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
