"""Provider-specific reasoning settings, one validated shape per provider mechanism."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from modelplane.domain.base import SINGLE_LINE, DomainModel

Effort: TypeAlias = Literal["low", "medium", "high"]
_Budget = Annotated[int, Field(ge=0, le=1_000_000)]


class OpenAIReasoningEffort(DomainModel):
    type: Literal["openai-reasoning-effort"]
    effort_mapping: dict[Effort, Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE]]
    summary_level: Literal["auto", "concise", "detailed"] | None = None
    use_responses_api: bool = Field(default=False, alias="useResponsesAPI")


class AnthropicExtendedThinking(DomainModel):
    type: Literal["anthropic-extended-thinking"]
    budget_mapping: dict[Effort, _Budget]
    beta_header: Annotated[str, Field(max_length=100), SINGLE_LINE] | None = None


class GoogleThinkingBudget(DomainModel):
    type: Literal["google-thinking-budget"]
    budget_mapping: dict[Effort, _Budget]


class GoogleThinkingLevel(DomainModel):
    type: Literal["google-thinking-level"]
    level_mapping: dict[Effort, Annotated[str, Field(min_length=1, max_length=32), SINGLE_LINE]]
    include_thoughts: bool = False


class DeepSeekTagExtraction(DomainModel):
    type: Literal["deepseek-tag-extraction"]
    tag_name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", max_length=32)]
    apply_middleware: bool = False


ReasoningConfig: TypeAlias = Annotated[
    OpenAIReasoningEffort
    | AnthropicExtendedThinking
    | GoogleThinkingBudget
    | GoogleThinkingLevel
    | DeepSeekTagExtraction,
    Field(discriminator="type"),
]
