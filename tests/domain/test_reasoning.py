"""Provider-specific reasoning settings (``domain/reasoning.py``): one shape per mechanism,
chosen by ``type``."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from modelplane.domain.models import ModelSpec
from modelplane.domain.reasoning import (
    AnthropicExtendedThinking,
    DeepSeekTagExtraction,
    GoogleThinkingBudget,
    GoogleThinkingLevel,
    OpenAIReasoningEffort,
    ReasoningConfig,
)

from .support import model_spec, paths

adapter: TypeAdapter[ReasoningConfig] = TypeAdapter(ReasoningConfig)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (
            {"type": "openai-reasoning-effort", "effortMapping": {"low": "minimal"}},
            OpenAIReasoningEffort,
        ),
        (
            {"type": "anthropic-extended-thinking", "budgetMapping": {"high": 32000}},
            AnthropicExtendedThinking,
        ),
        ({"type": "google-thinking-budget", "budgetMapping": {"low": 0}}, GoogleThinkingBudget),
        ({"type": "google-thinking-level", "levelMapping": {"high": "high"}}, GoogleThinkingLevel),
        ({"type": "deepseek-tag-extraction", "tagName": "think"}, DeepSeekTagExtraction),
    ],
)
def test_the_type_picks_the_shape(data: dict[str, Any], kind: type) -> None:
    assert isinstance(adapter.validate_python(data), kind)


def test_reasoning_config_is_validated_by_its_type() -> None:
    bad = {"type": "anthropic-extended-thinking", "budgetMapping": {"low": -5}}
    assert paths(ModelSpec, model_spec(reasoning=bad)) == ["reasoning.budgetMapping.low"]


def test_a_field_of_another_type_is_refused() -> None:
    bad = {"type": "google-thinking-budget", "budgetMapping": {"low": 1}, "tagName": "think"}
    assert paths(ModelSpec, model_spec(reasoning=bad)) == ["reasoning.tagName"]


def test_an_unknown_type_is_refused_at_the_reasoning_field() -> None:
    assert paths(ModelSpec, model_spec(reasoning={"type": "magic"})) == ["reasoning"]


def test_effort_levels_are_low_medium_high_only() -> None:
    bad = {"type": "openai-reasoning-effort", "effortMapping": {"extreme": "high"}}
    [path] = paths(ModelSpec, model_spec(reasoning=bad))
    # pydantic locates a bad dict key as (..., "extreme", "[key]"): the path names the key.
    assert path.startswith("reasoning.effortMapping.extreme")


def test_budgets_are_capped_at_a_million_tokens() -> None:
    bad = {"type": "google-thinking-budget", "budgetMapping": {"high": 1_000_001}}
    assert paths(ModelSpec, model_spec(reasoning=bad)) == ["reasoning.budgetMapping.high"]


@pytest.mark.parametrize("tag", ["9think", "th ink", ""])
def test_a_tag_name_must_be_an_identifier(tag: str) -> None:
    bad = {"type": "deepseek-tag-extraction", "tagName": tag}
    assert paths(ModelSpec, model_spec(reasoning=bad)) == ["reasoning.tagName"]


def test_the_responses_api_flag_keeps_its_spelling_in_json() -> None:
    config = OpenAIReasoningEffort.model_validate(
        {"type": "openai-reasoning-effort", "effortMapping": {}, "useResponsesAPI": True}
    )
    assert config.use_responses_api is True
    assert config.to_json()["useResponsesAPI"] is True
