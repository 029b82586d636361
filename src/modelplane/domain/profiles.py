"""Task categories and per-model routing profiles (a score per category)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from modelplane.domain.base import LIST_MAX, DomainModel, Line
from modelplane.domain.models import ModelIdStr, ModelSpec

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


_FAMILY = re.compile(r"^\D*\d+")
"""A model name's family and major version: everything up to the end of its first number
(``kimi-k2.5`` -> ``kimi-k2``, ``gpt-5-mini`` -> ``gpt-5``)."""


def _name(model_id: str) -> str:
    return model_id.split(":", 1)[-1]


def nearest_sibling(model: ModelSpec, profiled: Iterable[ModelSpec]) -> ModelSpec | None:
    """The profiled model that best stands in for ``model``, which has no profile: the same
    provider and the same family and major version (``_FAMILY``), then the most capabilities
    in common (Jaccard), then the longest shared name, then the id. ``None`` when no model
    of the family is profiled."""
    family = _FAMILY.match(_name(model.id))
    if family is None:
        return None
    mine = set(model.capabilities)

    def rank(other: ModelSpec) -> tuple[float, int, str]:
        theirs = set(other.capabilities)
        overlap = len(mine & theirs) / len(mine | theirs) if mine | theirs else 1.0
        a, b = _name(model.id), _name(other.id)
        shared = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
        return (-overlap, -(shared if shared is not None else min(len(a), len(b))), other.id)

    siblings = [
        other
        for other in profiled
        if other.id != model.id
        and other.provider == model.provider
        and _name(other.id).startswith(family.group())
    ]
    return min(siblings, key=rank, default=None)


def derived_profile(
    model: ModelSpec, sibling: ModelSpec, profile: ProfileSpec, default_score: float
) -> ProfileSpec:
    """``model``'s starting profile from its sibling's: the same scores, except that a
    category the sibling cannot serve (``multimodal`` at 0 without vision) starts at the
    router's default score when ``model`` has vision."""
    scores = dict(profile.category_scores)
    if model.has("vision") and not sibling.has("vision") and scores.get("multimodal") == 0:
        scores["multimodal"] = round(default_score)
    return ProfileSpec(
        model_id=model.id, quality_score=profile.quality_score, category_scores=scores
    )
