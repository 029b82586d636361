"""Task categories and per-model routing profiles (a score per category)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from modelplane.domain.base import LIST_MAX, DomainModel, Line
from modelplane.domain.models import ModelIdStr

Score = Annotated[int, Field(ge=0, le=100)]
CategoryId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]

DEFAULT_CATEGORIES: tuple[str, ...] = (
    "coding",
    "reasoning",
    "creative",
    "factual",
    "analysis",
    "conversation",
    "multimodal",
    "research",
)


class TaskCategory(DomainModel):
    """A kind of task the classifier can name and profiles can score. Data, not code."""

    id: CategoryId
    label: Annotated[Line, Field(max_length=100)]
    position: int = Field(ge=0)


class ProfileSpec(DomainModel):
    """How good a model is overall and at each task category (0-100)."""

    model_id: ModelIdStr
    quality_score: Score
    category_scores: dict[CategoryId, Score] = Field(max_length=LIST_MAX)

    @field_validator("category_scores")
    @classmethod
    def _some_scores(cls, value: dict[str, int]) -> dict[str, int]:
        if not value:
            raise ValueError("at least one category score is required")
        return value

    def score_for(self, category: str) -> int | None:
        return self.category_scores.get(category)


class Profile(ProfileSpec):
    """A stored profile: the spec plus its version and audit fields."""

    version: int = Field(default=0, ge=0)
    updated_at: datetime | None = None
    updated_by: Line | None = None

    def spec(self) -> ProfileSpec:
        return ProfileSpec.model_validate(self.model_dump(include=set(ProfileSpec.model_fields)))
