"""Builders for in-memory catalogues: the router's domain tests need no database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modelplane.domain.models import Model
from modelplane.domain.profiles import DEFAULT_CATEGORIES, Profile
from modelplane.domain.router_config import RouterConfig
from modelplane.router import Classification, CompiledRouter, RouteRequest, compile_router
from modelplane.store.static import static_tables


def make_model(model_id: str, price: float | str = 2, **fields: Any) -> Model:
    """A model whose input and output prices are both ``price`` (so the average is too)."""
    data: dict[str, Any] = {
        "id": model_id,
        "provider": model_id.split(":")[0],
        "name": model_id.split(":")[1],
        "context_window": 200_000,
        "pricing": {"input": Decimal(str(price)), "output": Decimal(str(price))},
        "version": 1,
    }
    data.update(fields)
    return Model.model_validate(data)


def make_profile(model_id: str, quality: int = 80, **scores: int) -> Profile:
    return Profile(
        model_id=model_id,
        quality_score=quality,
        category_scores=scores or {"conversation": 70},
        version=1,
    )


def defaults() -> RouterConfig:
    """The bundled defaults: the original router's dials."""
    return static_tables().router_config


def with_dials(**patch: Any) -> RouterConfig:
    """The defaults with some sections replaced, e.g. ``routerSettings={...}``."""
    data: dict[str, Any] = defaults().to_json()
    for key, value in patch.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return RouterConfig.model_validate(data)


def build(
    models: list[Model],
    profiles: list[Profile] | None = None,
    config: RouterConfig | None = None,
) -> CompiledRouter:
    return compile_router(models, profiles or [], config or defaults(), DEFAULT_CATEGORIES)


def classification(**fields: Any) -> Classification:
    data: dict[str, Any] = {"primary_category": "conversation", "complexity": "moderate"}
    data.update(fields)
    return Classification.model_validate(data)


def request(**fields: Any) -> RouteRequest:
    return RouteRequest.model_validate(fields)


@pytest.fixture
def seeded_catalogue() -> CompiledRouter:
    """The 55 bundled models with their profiles and the default dials."""
    tables = static_tables()
    return compile_router(tables.models, tables.profiles, tables.router_config)
