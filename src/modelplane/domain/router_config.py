"""Every dial of the auto-router, typed and validated as one document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import Field, field_validator, model_validator

from modelplane.domain.base import KEY_MAX, LIST_MAX, DomainModel, Line
from modelplane.domain.models import CAPABILITIES, Capability, ModelIdStr, Slug

Complexity: TypeAlias = Literal["simple", "moderate", "complex"]
COMPLEXITIES: tuple[Complexity, ...] = ("simple", "moderate", "complex")
Tier: TypeAlias = Literal["cheap", "mid", "premium"]
TIERS: tuple[Tier, ...] = ("cheap", "mid", "premium")
SelectionStrategy: TypeAlias = Literal["weighted-random", "best-in-tier", "best", "quality"]
SELECTION_STRATEGIES: tuple[SelectionStrategy, ...] = get_args(SelectionStrategy)
STRATEGY_SUMMARIES: dict[SelectionStrategy, str] = {
    "weighted-random": (
        "Rolls a tier with the complexity's tier weights (high-stakes messages go premium), "
        "then picks uniformly at random inside it: the original router's behaviour."
    ),
    "best-in-tier": "Rolls a tier with the complexity's tier weights, then takes its best score.",
    "best": "Takes the highest score overall, without a roll.",
    "quality": (
        "Sends the hardest premiumShare of messages to premium and the easiest cheapShare to "
        "cheap, by their difficulty estimate, the rest to mid; inside the tier, better-scoring "
        "models get more of the traffic (softmax of the score at the temperature), and the "
        "exploration share is spread evenly over the tier."
    ),
}
"""One sentence per strategy, for the console and the CLI."""
ClassifierKind: TypeAlias = Literal["embedded", "llm"]

_Bonus = Annotated[float, Field(ge=-1000, le=1000)]
_Positive = Annotated[float, Field(gt=0, le=1000)]
_Weight = Annotated[float, Field(ge=0, le=1)]
WEIGHT_TOLERANCE = 0.001


class ResearchMatch(DomainModel):
    """Which models count as research models for the research bonus: any rule matching wins."""

    id_prefixes: list[Line] = Field(default_factory=list, max_length=LIST_MAX)
    providers: list[Slug] = Field(default_factory=list, max_length=LIST_MAX)
    capabilities: list[Capability] = Field(default_factory=list, max_length=LIST_MAX)


class ScoringBonuses(DomainModel):
    stickiness_bonus: _Bonus
    reasoning_bonus: _Bonus
    research_bonus: _Bonus
    research_match: ResearchMatch = ResearchMatch(id_prefixes=["perplexity:"])


class ComplexityDials(DomainModel):
    simple_penalty: _Positive
    complex_boost_threshold: Annotated[float, Field(ge=0, le=100)]
    complex_boost_multiplier: _Positive


class CostTiers(DomainModel):
    """Average price (USD per 1M tokens): below cheap is cheap, below mid is mid, else premium."""

    cheap_threshold: Annotated[float, Field(ge=0)]
    mid_threshold: Annotated[float, Field(ge=0)]

    @model_validator(mode="after")
    def _ordered(self) -> CostTiers:
        if not self.cheap_threshold < self.mid_threshold:
            raise ValueError("cheapThreshold must be below midThreshold")
        return self

    def tier_of(self, average_price: float) -> Tier:
        if average_price < self.cheap_threshold:
            return "cheap"
        if average_price < self.mid_threshold:
            return "mid"
        return "premium"


class TierWeights(DomainModel):
    cheap: _Weight
    mid: _Weight
    premium: _Weight

    @model_validator(mode="after")
    def _sum_to_one(self) -> TierWeights:
        total = self.cheap + self.mid + self.premium
        if abs(total - 1) > WEIGHT_TOLERANCE:
            raise ValueError(f"weights must sum to 1 (±{WEIGHT_TOLERANCE}), they sum to {total:g}")
        return self

    def of(self, tier: Tier) -> float:
        return float(getattr(self, tier))


class TierWeightsByComplexity(DomainModel):
    simple: TierWeights
    moderate: TierWeights
    complex: TierWeights

    def of(self, complexity: Complexity) -> TierWeights:
        weights: TierWeights = getattr(self, complexity)
        return weights


SpeedRuleKind: TypeAlias = Literal["host", "name", "capability"]


class SpeedRule(DomainModel):
    """One speed-bonus rule. ``host`` matches the host order, ``name`` a substring of the id,
    ``capability`` a capability. Rules are tried in order and the first match wins."""

    match: SpeedRuleKind
    value: Annotated[Line, Field(max_length=100)]
    bonus: _Bonus

    @model_validator(mode="after")
    def _known_capability(self) -> SpeedRule:
        if self.match == "capability" and self.value not in CAPABILITIES:
            raise ValueError(f"unknown capability {self.value!r}")
        return self


class CostPenaltyScale(DomainModel):
    divisor: _Positive
    max_penalty: Annotated[float, Field(ge=0, le=1000)]


class QualityDials(DomainModel):
    """The ``quality`` strategy's dials.

    Tier: ``premiumShare`` and ``cheapShare`` are shares of typical traffic. The hardest
    ``premiumShare`` of messages go premium, the easiest ``cheapShare`` go cheap, the rest
    mid. The router turns each share into a difficulty threshold with the difficulty
    estimate's spread over a reference set of chat prompts (``router/classification/
    difficulty.py``), so on traffic like that set the tiers get these shares; ``modelplane
    router replay`` shows the mix on your own prompts. An empty tier falls to the next one
    up (mid, then premium), then down.

    Pick inside the tier: model ``i`` with score ``s_i`` gets the share
    ``(1 - exploration) * exp((s_i - max s) / temperature) / sum_j exp((s_j - max s) /
    temperature) + exploration / n``: at temperature 10, ten score points more is e (2.7x)
    the weight; ``exploration`` is the share of the tier's traffic spread evenly over all
    ``n`` of its models whatever their scores.
    """

    premium_share: Annotated[float, Field(ge=0, le=1)] = 0.3
    cheap_share: Annotated[float, Field(ge=0, le=1)] = 0.4
    temperature: Annotated[float, Field(ge=0.1, le=100)] = 10.0
    exploration: Annotated[float, Field(ge=0, le=1)] = 0.1

    @model_validator(mode="after")
    def _shares_fit(self) -> QualityDials:
        if self.premium_share + self.cheap_share > 1 + WEIGHT_TOLERANCE:
            raise ValueError(
                f"premiumShare + cheapShare must be at most 1, they are "
                f"{self.premium_share + self.cheap_share:g}"
            )
        return self


class RouterSettings(DomainModel):
    router_model_id: ModelIdStr
    fallback_model_id: ModelIdStr
    max_retries: int = Field(ge=0, le=10)
    context_buffer: Annotated[float, Field(ge=1, le=10)]
    long_context_threshold: int = Field(gt=0)
    classifier_temperature: Annotated[float, Field(ge=0, le=2)]
    default_score_without_profile: Annotated[float, Field(ge=0, le=100)]
    secondary_category_weight: Annotated[float, Field(ge=0, le=10)]
    quality_floor: Annotated[float, Field(ge=0, le=100)]
    cost_penalty_scale: CostPenaltyScale
    selection_strategy: SelectionStrategy = "weighted-random"
    classifier: ClassifierKind = "embedded"
    classifier_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 5.0


class RouterConfigDoc(DomainModel):
    """The router's dials as one document. Its JSON form follows ``router-defaults.json``;
    descriptive prose keys of that file are not dials and are dropped on the way in."""

    scoring_bonuses: ScoringBonuses
    complexity: ComplexityDials
    cost_tiers: CostTiers
    tier_weights: TierWeightsByComplexity
    speed_bonuses: list[SpeedRule] = Field(max_length=LIST_MAX)
    router_settings: RouterSettings
    quality: QualityDials = QualityDials()
    """Dials of the ``quality`` selection strategy (unused by the others)."""
    high_stakes_domains: list[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=KEY_MAX)]
    ] = Field(max_length=LIST_MAX)

    @model_validator(mode="before")
    @classmethod
    def _accept_reference_shape(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if k not in _PROSE_KEYS}
        for section, keys in _PROSE_SUBKEYS.items():
            if isinstance(data.get(section), dict):
                data[section] = {k: v for k, v in data[section].items() if k not in keys}
        bonuses = data.get("speedBonuses", data.get("speed_bonuses"))
        if isinstance(bonuses, dict):
            data.pop("speed_bonuses", None)
            data["speedBonuses"] = [_rule_from_key(k, v) for k, v in bonuses.items()]
        return data

    @field_validator("high_stakes_domains")
    @classmethod
    def _unique_domains(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a domain is listed twice")
        return value

    def speed_bonus_for(
        self, model_id: str, host_order: list[str] | None, capabilities: list[str]
    ) -> float:
        """The first matching rule's bonus, else 0."""
        hosts = host_order or []
        for rule in self.speed_bonuses:
            if (
                (rule.match == "host" and rule.value in hosts)
                or (rule.match == "name" and rule.value in model_id)
                or (rule.match == "capability" and rule.value in capabilities)
            ):
                return rule.bonus
        return 0.0


class RouterConfig(RouterConfigDoc):
    """The stored router config: the document plus its version and audit fields."""

    version: int = Field(default=0, ge=0)
    updated_at: datetime | None = None
    updated_by: Line | None = None

    def doc(self) -> RouterConfigDoc:
        return RouterConfigDoc.model_validate(
            self.model_dump(include=set(RouterConfigDoc.model_fields))
        )


_PROSE_KEYS = frozenset({"complexityLevels", "userPreferences"})
_PROSE_SUBKEYS = {"costTiers": {"tierOf"}, "routerSettings": {"speedBiasScale"}}


def _rule_from_key(key: str, bonus: Any) -> dict[str, Any]:
    """``"host:cerebras": 12`` -> ``{"match": "host", "value": "cerebras", "bonus": 12}``."""
    match, _, value = str(key).partition(":")
    return {"match": match, "value": value, "bonus": bonus}
