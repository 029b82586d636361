"""The one read path. The API, console and CLI all read through ``CatalogReader``.

Behind it sit sources that share one interface (``CatalogSource``): a snapshot of the
bundled static tables or of the database. Models and routing data each pick their source
independently (``rollout/assignment.py`` chooses).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Literal, Protocol, TypeVar

from modelplane.domain.errors import NotFound, nearest
from modelplane.domain.models import Model, Provider
from modelplane.domain.pricing import cost
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.query import ANY, ModelFilter, search_rank
from modelplane.domain.router_config import RouterConfig

Platform = Literal["web", "mobile"]
T = TypeVar("T")


class CatalogSource(Protocol):
    """Where catalogue facts come from: a snapshot of the static tables or of the database
    (``live/source.py``). Models are held in memory and queried with ``domain/query.py``."""

    @property
    def name(self) -> str: ...

    def get_model(self, model_id: str) -> Model | None: ...
    def list_models(self, filters: ModelFilter = ...) -> list[Model]: ...
    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ...
    ) -> list[Model]: ...
    def model_ids(self) -> list[str]: ...
    def providers(self) -> list[Provider]: ...
    def categories(self) -> list[TaskCategory]: ...
    def profiles(self) -> list[Profile]: ...
    def profile(self, model_id: str) -> Profile | None: ...
    def router_config(self) -> RouterConfig: ...
    def rendered(self, model_id: str) -> tuple[bytes, int] | None: ...
    def memo(self, key: Hashable, build: Callable[[], T]) -> T: ...


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

    def rendered(self, model_id: str) -> tuple[bytes, int] | None:
        """The model's API JSON and version, rendered when its snapshot was built;
        ``None`` for an unknown model."""
        return self.models_source.rendered(model_id)

    def memo(self, key: Hashable, build: Callable[[], T]) -> T | None:
        """``build()``, kept for as long as the models behind this reader do not change
        (a view derived from the catalogue, e.g. a rendered list)."""
        return self.models_source.memo(key, build)

    def find(self, model_id: str) -> Model | None:
        return self.models_source.get_model(model_id)

    def models(self, filters: ModelFilter = ANY) -> list[Model]:
        return self.models_source.list_models(filters)

    def grouped_by_provider(self, filters: ModelFilter = ANY) -> dict[str, list[Model]]:
        groups: dict[str, list[Model]] = {}
        for model in self.models(filters):
            groups.setdefault(model.provider, []).append(model)
        return dict(sorted(groups.items()))

    def search(
        self, text: str, limit: int | None = None, filters: ModelFilter = ANY
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


__all__ = ["CatalogReader", "CatalogSource", "ModelFilter", "Platform", "search_rank"]
