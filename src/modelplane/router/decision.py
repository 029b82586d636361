"""What the router answers, the same for the API and the CLI's ``--json``."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import Field

from modelplane.domain.base import DomainModel
from modelplane.domain.router_config import Tier
from modelplane.router.classification.result import Classification
from modelplane.router.selection.scoring import Candidate

ClassificationSource: TypeAlias = Literal["given", "embedded", "llm", "conservative"]


class Timing(DomainModel):
    """Microseconds spent: classifying, deciding (classification to choice) and in all,
    including reading the data and explaining the choice (not writing the log)."""

    classification_us: int = Field(ge=0)
    decision_us: int = Field(ge=0)
    total_us: int = Field(ge=0)


class RouteDecision(DomainModel):
    """The chosen model, why, and every eligible candidate with its score's terms.

    ``profilesVersion`` is the sum of all profiles' versions: it moves on every profile
    edit (see ``compiled.profiles_version``).
    """

    selected_model_id: str
    tier: Tier | None = None
    classification: Classification
    classification_source: ClassificationSource
    candidates: list[Candidate]
    """Best score first: every eligible candidate, or (a ``top`` request) the best few and
    the chosen model."""
    candidate_count: int = Field(ge=0)
    """How many models were eligible, whether or not all are listed."""
    selected_rank: int | None = Field(default=None, ge=1)
    """The chosen model's place among the eligible ones by score (1 is the best); ``None``
    when it is not among them (a fallback)."""
    is_sticky: bool
    exploration_pick: bool
    is_fallback: bool = False
    reasoning: str
    config_version: int
    profiles_version: int
    seed: int | None = None
    error: str | None = None
    experiment: str | None = None
    """The running experiment the user is in, if any."""
    variant: str | None = None
    """The experiment's variant whose config made this decision."""
    decision_id: str | None = None
    """The decision's id in the decision log (32 hex digits), assigned before the answer
    is sent: an app sends it back with its usage and feedback (``decisionId``)."""
    timing: Timing
