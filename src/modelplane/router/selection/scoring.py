"""The score of an eligible model, term by term.

``score = max(qualityFloor, (base + secondary) * multiplier - costPenalty + speedBonus
+ stickinessBonus + reasoningBonus + researchBonus)`` where

- ``base`` is the profile's score for the primary category (``defaultScoreWithoutProfile``
  without a profile or without that category);
- ``secondary`` is ``secondaryCategoryWeight`` * the secondary category's score, only with a
  profile and a non-zero score;
- ``multiplier`` is ``simplePenalty`` for simple tasks, ``complexBoostMultiplier`` for
  complex tasks on a model whose quality is at least ``complexBoostThreshold``, else 1;
- ``costPenalty`` is (average price / divisor) * (costBias / 100) * maxPenalty, uncapped
  (the original's formula; ``maxPenalty`` is the penalty at divisor dollars and costBias 100);
- ``speedBonus`` is the first matching speed rule's bonus * speedBias / 100.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from modelplane.domain.base import DomainModel
from modelplane.domain.router_config import Tier
from modelplane.router.classification.result import Classification
from modelplane.router.selection.compiled import CompiledModel, CompiledRouter, quality_part


class Breakdown(DomainModel):
    """Every term of one model's score."""

    base: float
    secondary: float
    complexity_multiplier: float
    cost_penalty: float
    speed_bonus: float
    stickiness_bonus: float
    reasoning_bonus: float
    research_bonus: float
    before_floor: float
    floor_applied: bool


class Candidate(DomainModel):
    """An eligible model, its score and how the score came about."""

    model_id: str
    score: float
    tier: Tier
    breakdown: Breakdown


@dataclass(slots=True)
class Scorer:
    """Scores for one request. Only the bias factors and the previous model are left to
    apply per model; everything else comes precomputed from the ``CompiledRouter``."""

    router: CompiledRouter
    classification: Classification
    fixed: list[float]
    cost_factor: float
    speed_factor: float
    previous_model_id: str | None

    @classmethod
    def for_request(
        cls,
        router: CompiledRouter,
        classification: Classification,
        cost_bias: float,
        speed_bias: float,
        previous_model_id: str | None,
    ) -> Scorer:
        c = classification
        fixed = router.fixed_terms(
            c.primary_category, c.secondary_category, c.complexity, c.requires_reasoning
        )
        return cls(router, c, fixed, cost_bias / 100, speed_bias / 100, previous_model_id)

    def score(self, model: CompiledModel) -> float:
        value = (
            self.fixed[model.index]
            - model.cost_unit * self.cost_factor
            + model.speed_bonus * self.speed_factor
        )
        if model.id == self.previous_model_id:
            value += self.router.dials.stickiness_bonus
        return max(self.router.dials.quality_floor, value)

    def best(self, models: Iterable[CompiledModel]) -> CompiledModel | None:
        """The highest score; among equal scores, the lowest id."""
        best: CompiledModel | None = None
        best_score = 0.0
        for model in models:
            score = self.score(model)
            if (
                best is None
                or score > best_score
                or (score == best_score and model.index < best.index)
            ):
                best, best_score = model, score
        return best

    def candidate(self, model: CompiledModel) -> Candidate:
        return Candidate(
            model_id=model.id,
            score=self.score(model),
            tier=model.tier,
            breakdown=self.breakdown(model),
        )

    def breakdown(self, model: CompiledModel) -> Breakdown:
        """The terms one by one, computed afresh from the dials (not from the memo)."""
        c, dials = self.classification, self.router.dials
        base, second, multiplier = quality_part(
            model, dials, c.primary_category, c.secondary_category, c.complexity
        )
        terms = {
            "cost_penalty": model.cost_unit * self.cost_factor,
            "speed_bonus": model.speed_bonus * self.speed_factor + 0.0,  # never -0.0
            "stickiness_bonus": dials.stickiness_bonus
            if model.id == self.previous_model_id
            else 0.0,
            "reasoning_bonus": dials.reasoning_bonus
            if c.requires_reasoning and model.thinks
            else 0.0,
            "research_bonus": dials.research_bonus
            if c.primary_category == "research" and model.is_research
            else 0.0,
        }
        raw = (
            (base + second) * multiplier
            - terms["cost_penalty"]
            + terms["speed_bonus"]
            + terms["stickiness_bonus"]
            + terms["reasoning_bonus"]
            + terms["research_bonus"]
        )
        return Breakdown(
            base=base,
            secondary=second,
            complexity_multiplier=multiplier,
            before_floor=raw,
            floor_applied=raw < dials.quality_floor,
            **terms,
        )
