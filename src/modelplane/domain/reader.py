"""The one read path. The API, console, CLI and router all read through ``CatalogReader``.

Behind it sit sources that share one interface (``CatalogSource``): the bundled static
tables and the database. Models and router config each pick their source independently.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, TypeVar

from modelplane.domain.errors import NotFound, nearest
from modelplane.domain.models import Model, Provider
from modelplane.domain.pricing import cost
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.router_config import RouterConfig

Platform = Literal["web", "mobile"]
T = TypeVar("T")


@dataclass(frozen=True)
class ModelFilter:
    """Filters for model lists; ``None`` means "any"."""

    provider: str | None = None
    status: str | None = None
    capability: str | None = None
    internal_only: bool | None = None
    experimental: bool | None = None

    def matches(self, model: Model) -> bool:
        """The filter in Python, for sources that hold models in memory."""
        return (
            (self.provider is None or model.provider == self.provider)
            and (self.status is None or model.status == self.status)
            and (self.capability is None or self.capability in model.capabilities)
            and (self.internal_only is None or model.is_internal_only == self.internal_only)
            and (self.experimental is None or model.is_experimental == self.experimental)
        )


class CatalogSource(Protocol):
    """Where catalogue facts come from. Implemented by the static tables and the database."""

    @property
    def name(self) -> str: ...

    def get_model(self, model_id: str) -> Model | None: ...
    def list_models(self, filters: ModelFilter) -> list[Model]: ...
    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ...
    ) -> list[Model]: ...
    def model_ids(self) -> list[str]: ...
    def providers(self) -> list[Provider]: ...
    def categories(self) -> list[TaskCategory]: ...
    def profiles(self) -> list[Profile]: ...
    def profile(self, model_id: str) -> Profile | None: ...
    def router_config(self) -> RouterConfig: ...


def search_rank(model: Model, needle: str) -> int | None:
    """0 for an exact id or name match, 1 for a prefix of the name or of the id's name
    part, 2 for any other match over id, name, description and provider, None for none."""
    needle = needle.strip().lower()
    fields = [model.id, model.name, model.description or "", model.provider]
    if not needle or not any(needle in f.lower() for f in fields):
        return None
    if needle in (model.id.lower(), model.name.lower()):
        return 0
    if model.name.lower().startswith(needle) or f":{needle}" in model.id.lower():
        return 1
    return 2


class CatalogReader:
    """Reads for every face: models from one source, routing data from another."""

    def __init__(self, models: CatalogSource, routing: CatalogSource) -> None:
        self.models_source = models
        self.routing_source = routing

    def get(self, model_id: str) -> Model:
        model = self.models_source.get_model(model_id)
        if model is None:
            raise NotFound("model", model_id, nearest(model_id, self.models_source.model_ids()))
        return model

    def cache_key(self) -> tuple[object, ...] | None:
        """A cheap identity of the data behind this reader, when its sources have one
        (snapshots and the static tables do; a live database does not)."""
        keys = []
        for source in (self.models_source, self.routing_source):
            key = getattr(source, "cache_key", None)
            if key is None:
                return None
            keys.append(key())
        return tuple(keys)

    def rendered(self, model_id: str) -> tuple[bytes, int] | None:
        """The model's API JSON and version, if the source keeps it pre-rendered (the live
        snapshot does); ``None`` means "ask ``get``"."""
        render = getattr(self.models_source, "rendered", None)
        return render(model_id) if render is not None else None

    def memo(self, key: Hashable, build: Callable[[], T]) -> T | None:
        """``build()``, kept for as long as the data behind this reader does not change, if
        its sources are immutable snapshots; ``None`` (build it yourself) otherwise."""
        data_key = self.cache_key()
        memo = getattr(self.models_source, "memo", None)
        if data_key is None or memo is None:
            return None
        return memo((data_key, key), build)  # type: ignore[no-any-return]

    def find(self, model_id: str) -> Model | None:
        return self.models_source.get_model(model_id)

    def models(self, filters: ModelFilter = ModelFilter()) -> list[Model]:
        return self.models_source.list_models(filters)

    def grouped_by_provider(self, filters: ModelFilter = ModelFilter()) -> dict[str, list[Model]]:
        groups: dict[str, list[Model]] = {}
        for model in self.models(filters):
            groups.setdefault(model.provider, []).append(model)
        return dict(sorted(groups.items()))

    def search(
        self, text: str, limit: int | None = None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        return self.models_source.search_models(text, limit, filters)

    def public(self, platform: Platform | None = None) -> list[Model]:
        """What pickers and clients may offer: no internal-only, no deprecated models, and
        (for mobile) no experimental ones."""
        return [
            m
            for m in self.models(ModelFilter(internal_only=False))
            if m.status != "deprecated" and not (platform == "mobile" and m.is_experimental)
        ]

    def providers(self) -> list[Provider]:
        return self.models_source.providers()

    def categories(self) -> list[TaskCategory]:
        return self.routing_source.categories()

    def profiles(self) -> list[Profile]:
        return self.routing_source.profiles()

    def profile(self, model_id: str) -> Profile | None:
        return self.routing_source.profile(model_id)

    def router_config(self) -> RouterConfig:
        return self.routing_source.router_config()

    def cost(
        self,
        model_id: str,
        input_tokens: int,
        output_tokens: int,
        cached_input_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> Decimal:
        """USD for one request on ``model_id`` at its current price."""
        pricing = self.get(model_id).pricing
        return cost(pricing, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens)
