"""The read path's pure parts (``domain/reader.py``): ``CatalogReader`` over the simplest
source, models held in a list. Filters and search ranking: ``test_query.py``."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from modelplane.domain.errors import NotFound
from modelplane.domain.models import Model, Provider
from modelplane.domain.profiles import Profile, TaskCategory
from modelplane.domain.reader import CatalogReader, ModelFilter, search_rank
from modelplane.domain.router_config import RouterConfig

from .support import model_spec, router_defaults

T = TypeVar("T")


def model(**overrides: Any) -> Model:
    return Model.model_validate(model_spec(**overrides))


GPT = model(id="openai:gpt-5", provider="openai", name="GPT-5", description="Flagship model")
MINI = model(id="openai:gpt-5-mini", provider="openai", name="GPT-5 mini", isExperimental=True)
CLAUDE = model(id="anthropic:claude-haiku", provider="anthropic", name="Claude Haiku")


class ListSource:
    """The simplest ``CatalogSource``: models in a list, the bundled router defaults."""

    name = "list"

    def __init__(self, *models: Model) -> None:
        self._models = list(models)

    def get_model(self, model_id: str) -> Model | None:
        return next((m for m in self._models if m.id == model_id), None)

    def list_models(self, filters: ModelFilter = ModelFilter()) -> list[Model]:
        return [m for m in self._models if filters.matches(m)]

    def search_models(
        self, text: str, limit: int | None, filters: ModelFilter = ModelFilter()
    ) -> list[Model]:
        return [m for m in self.list_models(filters) if search_rank(m, text) is not None][:limit]

    def model_ids(self) -> list[str]:
        return [m.id for m in self._models]

    def providers(self) -> list[Provider]:
        return []

    def categories(self) -> list[TaskCategory]:
        return []

    def profiles(self) -> list[Profile]:
        return []

    def profile(self, model_id: str) -> Profile | None:
        return None

    def router_config(self) -> RouterConfig:
        return RouterConfig.model_validate(router_defaults())

    def rendered(self, model_id: str) -> tuple[bytes, int] | None:
        return None

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        return build()


def reader(*models: Model) -> CatalogReader:
    source = ListSource(*models)
    return CatalogReader(source, source)


def test_an_unknown_model_is_not_found_with_suggestions() -> None:
    with pytest.raises(NotFound) as exc:
        reader(GPT, CLAUDE).get("gpt5")
    assert exc.value.suggestions[0] == "openai:gpt-5"


def test_public_models_leave_out_internal_deprecated_and_on_mobile_experimental() -> None:
    internal = model(id="acme:internal", isInternalOnly=True)
    old = model(id="acme:old", status="deprecated")
    catalogue = reader(GPT, MINI, internal, old)
    assert [m.id for m in catalogue.public()] == ["openai:gpt-5", "openai:gpt-5-mini"]
    assert [m.id for m in catalogue.public("mobile")] == ["openai:gpt-5"]


def test_models_group_by_provider_in_provider_order() -> None:
    groups = reader(GPT, CLAUDE, MINI).grouped_by_provider()
    assert list(groups) == ["anthropic", "openai"]
    assert [m.id for m in groups["openai"]] == ["openai:gpt-5", "openai:gpt-5-mini"]


def test_cost_uses_the_models_current_price() -> None:
    priced = model(id="acme:priced", pricing={"input": "2.5", "output": "10"})
    assert reader(priced).cost("acme:priced", 1_000, 500) == Decimal("0.0075")


def test_the_reader_hands_memo_and_rendered_answers_to_its_sources() -> None:
    catalogue = reader(GPT)
    assert catalogue.memo("x", lambda: 1) == 1
    assert catalogue.rendered("openai:gpt-5") is None
