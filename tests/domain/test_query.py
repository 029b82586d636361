"""The in-memory catalogue query (``domain/query.py``): filters, search ranking and the
ranked, filtered search every read source answers with."""

from __future__ import annotations

from typing import Any

import pytest

from modelplane.domain.models import Model
from modelplane.domain.query import ModelFilter, filter_models, search_models, search_rank

from .support import model_spec


def model(**overrides: Any) -> Model:
    return Model.model_validate(model_spec(**overrides))


GPT = model(id="openai:gpt-5", provider="openai", name="GPT-5", description="Flagship model")
MINI = model(id="openai:gpt-5-mini", provider="openai", name="GPT-5 mini", isExperimental=True)
CLAUDE = model(id="anthropic:claude-haiku", provider="anthropic", name="Claude Haiku")


@pytest.mark.parametrize(
    ("found", "needle", "rank"),
    [
        (GPT, "openai:gpt-5", 0),
        (GPT, "gpt-5", 0),
        (GPT, "  GPT-5 ", 0),
        (MINI, "gpt-5", 1),
        (CLAUDE, "claude", 1),
        (model(id="openai:o3-pro", name="Pro reasoning"), "o3", 1),  # the id's name part
        (CLAUDE, "haiku", 2),
        (GPT, "flagship", 2),
        (CLAUDE, "anthropic", 2),
    ],
)
def test_search_rank_exact_then_prefix_then_anywhere(found: Model, needle: str, rank: int) -> None:
    assert search_rank(found, needle) == rank


@pytest.mark.parametrize("needle", ["gemini", "", "   "])
def test_search_rank_is_none_without_a_match(needle: str) -> None:
    assert search_rank(GPT, needle) is None


def test_search_ranks_order_the_closest_first() -> None:
    models = [CLAUDE, MINI, GPT]
    ranked = sorted(
        (m for m in models if search_rank(m, "gpt-5") is not None),
        key=lambda m: search_rank(m, "gpt-5") or 0,
    )
    assert [m.id for m in ranked] == ["openai:gpt-5", "openai:gpt-5-mini"]


def test_a_model_filter_matches_every_given_field_and_ignores_the_rest() -> None:
    assert ModelFilter().matches(GPT)
    assert ModelFilter(provider="openai").matches(MINI)
    assert not ModelFilter(provider="openai").matches(CLAUDE)
    assert ModelFilter(provider="openai", experimental=False).matches(GPT)
    assert not ModelFilter(provider="openai", experimental=False).matches(MINI)
    assert not ModelFilter(capability="vision").matches(GPT)
    assert ModelFilter(status="active", internal_only=False).matches(GPT)


def test_filtering_keeps_the_given_order_and_no_filter_keeps_everything() -> None:
    models = [MINI, CLAUDE, GPT]
    assert filter_models(models) == models
    assert filter_models(models, ModelFilter(provider="openai")) == [MINI, GPT]
    assert filter_models(models, ModelFilter(provider="google")) == []


def test_search_orders_by_rank_then_id_filters_and_limits() -> None:
    models = [CLAUDE, MINI, GPT, model(id="acme:gpt-5-nano", provider="acme", name="Nano")]
    # GPT-5 is exact (0); gpt-5-mini and gpt-5-nano are prefixes of the id's name (1).
    assert [m.id for m in search_models(models, "gpt-5")] == [
        "openai:gpt-5",
        "acme:gpt-5-nano",
        "openai:gpt-5-mini",
    ]
    assert [m.id for m in search_models(models, "gpt-5", limit=2)] == [
        "openai:gpt-5",
        "acme:gpt-5-nano",
    ]
    only_openai = search_models(models, "gpt-5", filters=ModelFilter(provider="openai"))
    assert [m.id for m in only_openai] == ["openai:gpt-5", "openai:gpt-5-mini"]
    assert search_models(models, "gemini") == []


def test_search_is_literal_so_like_wildcards_match_only_themselves() -> None:
    assert search_rank(GPT, "%") is None
    assert search_rank(GPT, "gpt_5") is None
    assert search_rank(model(id="acme:a_b", provider="acme", name="A_B"), "a_b") == 0
