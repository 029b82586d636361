"""Golden values for every term of the score, with the default dials."""

from __future__ import annotations

from typing import Any

import pytest

from modelplane.domain.router_config import Complexity
from modelplane.router.selection.scoring import Breakdown, Scorer

from ..conftest import build, classification, make_model, make_profile, with_dials


def breakdown_of(
    model_id: str = "acme:m",
    price: float = 0,
    profile: dict[str, int] | None = None,
    quality: int = 80,
    cost_bias: float = 0,
    speed_bias: float = 0,
    previous: str | None = None,
    **fields: object,
) -> tuple[float, Breakdown]:
    model_fields = {k: v for k, v in fields.items() if k in {"capabilities", "host_order"}}
    c = classification(**{k: v for k, v in fields.items() if k not in model_fields})
    profiles = [make_profile(model_id, quality, **profile)] if profile else []
    router = build([make_model(model_id, price, **model_fields)], profiles)
    scorer = Scorer.for_request(router, c, cost_bias, speed_bias, previous)
    compiled = router.by_id[model_id]
    return scorer.score(compiled), scorer.breakdown(compiled)


def test_base_is_the_profile_score_for_the_primary_category() -> None:
    score, terms = breakdown_of(profile={"coding": 90}, primary_category="coding")
    assert terms.base == 90
    assert score == 90


def test_base_is_50_without_a_profile() -> None:
    score, terms = breakdown_of(primary_category="coding")
    assert (terms.base, score) == (50, 50)


def test_base_is_50_when_the_profile_lacks_the_category() -> None:
    _, terms = breakdown_of(profile={"creative": 90}, primary_category="coding")
    assert terms.base == 50


def test_secondary_adds_its_weight_times_the_secondary_score() -> None:
    score, terms = breakdown_of(
        profile={"coding": 80, "reasoning": 60},
        primary_category="coding",
        secondary_category="reasoning",
    )
    assert terms.secondary == pytest.approx(18)  # 0.3 * 60
    assert score == pytest.approx(98)


def test_secondary_is_skipped_without_a_profile_or_with_a_zero_score() -> None:
    _, without = breakdown_of(primary_category="coding", secondary_category="reasoning")
    _, zero = breakdown_of(
        profile={"coding": 80, "reasoning": 0},
        primary_category="coding",
        secondary_category="reasoning",
    )
    assert without.secondary == 0 and zero.secondary == 0


@pytest.mark.parametrize(
    ("complexity", "quality", "multiplier"),
    [
        ("simple", 95, 0.7),
        ("moderate", 95, 1.0),
        ("complex", 84, 1.0),
        ("complex", 85, 1.2),  # exactly at complexBoostThreshold
        ("complex", 95, 1.2),
    ],
)
def test_complexity_multiplies_base_plus_secondary(
    complexity: Complexity, quality: int, multiplier: float
) -> None:
    score, terms = breakdown_of(
        profile={"coding": 80, "reasoning": 50},
        quality=quality,
        primary_category="coding",
        secondary_category="reasoning",
        complexity=complexity,
    )
    assert terms.complexity_multiplier == multiplier
    assert score == pytest.approx((80 + 15) * multiplier)


def test_complex_boost_needs_a_profile() -> None:
    _, terms = breakdown_of(complexity="complex")
    assert terms.complexity_multiplier == 1.0


def test_cost_penalty_is_average_over_30_times_bias_times_20() -> None:
    # average (15 + 15) / 2 = 15; 15 / 30 * 0.5 * 20 = 5
    score, terms = breakdown_of(price=15, cost_bias=50)
    assert terms.cost_penalty == pytest.approx(5)
    assert score == pytest.approx(45)


def test_cost_penalty_uses_the_mean_of_input_and_output() -> None:
    from modelplane.router.selection.compiled import compile_router

    from ..conftest import defaults

    model = make_model("acme:m", pricing={"input": "2", "output": "10"})
    router = compile_router([model], [], defaults())
    scorer = Scorer.for_request(router, classification(), 100, 0, None)
    assert scorer.breakdown(router.by_id["acme:m"]).cost_penalty == pytest.approx(4)  # 6/30*20


def test_cost_penalty_is_not_capped() -> None:
    _, terms = breakdown_of(price=90, cost_bias=100)
    assert terms.cost_penalty == pytest.approx(60)


def test_cost_penalty_follows_its_dials() -> None:
    config = with_dials(
        routerSettings={"costPenaltyScale": {"divisor": 10, "maxPenalty": 5}},
    )
    router = build([make_model("acme:m", 20)], config=config)
    scorer = Scorer.for_request(router, classification(), 100, 0, None)
    assert scorer.breakdown(router.by_id["acme:m"]).cost_penalty == pytest.approx(10)


@pytest.mark.parametrize(
    ("model_id", "fields", "bonus"),
    [
        ("acme:plain", {"host_order": ["cerebras", "groq"]}, 12),
        ("acme:plain", {"host_order": ["groq"]}, 10),
        ("acme:m-flash", {}, 8),
        ("acme:m-fast", {}, 8),
        ("acme:m-nano", {}, 10),
        ("acme:m-lite", {}, 10),
        ("acme:m-lightning", {}, 12),
        ("acme:m-flash-lite", {}, 8),  # the first matching rule wins
        ("acme:plain", {"capabilities": ["thinking"]}, -5),
        ("acme:plain", {"capabilities": ["extended-thinking"]}, -8),
        ("acme:plain", {"capabilities": ["thinking", "extended-thinking"]}, -5),
        ("acme:plain", {"host_order": ["groq"], "capabilities": ["thinking"]}, 10),
        ("acme:plain", {}, 0),
    ],
)
def test_speed_bonus_is_the_first_matching_rule_times_speed_bias(
    model_id: str, fields: dict[str, Any], bonus: float
) -> None:
    _, full = breakdown_of(model_id, speed_bias=100, **fields)
    _, half = breakdown_of(model_id, speed_bias=50, **fields)
    assert full.speed_bonus == pytest.approx(bonus)
    assert half.speed_bonus == pytest.approx(bonus / 2)


def test_speed_rules_are_data() -> None:
    config = with_dials(speedBonuses=[{"match": "name", "value": "plain", "bonus": 30}])
    router = build([make_model("acme:plain", 0, host_order=["cerebras"])], config=config)
    scorer = Scorer.for_request(router, classification(), 0, 100, None)
    assert scorer.breakdown(router.by_id["acme:plain"]).speed_bonus == 30


def test_stickiness_bonus_goes_to_the_previous_model_only() -> None:
    score, terms = breakdown_of("acme:m", previous="acme:m")
    _, other = breakdown_of("acme:m", previous="acme:other")
    assert terms.stickiness_bonus == 25 and score == 75
    assert other.stickiness_bonus == 0


@pytest.mark.parametrize("capability", ["thinking", "extended-thinking"])
def test_reasoning_bonus_for_thinking_models_when_reasoning_is_required(capability: str) -> None:
    score, terms = breakdown_of(capabilities=[capability], requires_reasoning=True)
    assert terms.reasoning_bonus == 15 and score == 65
    _, not_required = breakdown_of(capabilities=[capability], requires_reasoning=False)
    _, no_thinking = breakdown_of(capabilities=["vision"], requires_reasoning=True)
    assert not_required.reasoning_bonus == 0 and no_thinking.reasoning_bonus == 0


def test_research_bonus_for_perplexity_models_on_research() -> None:
    score, terms = breakdown_of("perplexity:sonar", primary_category="research")
    assert terms.research_bonus == 25 and score == 75
    _, other_category = breakdown_of("perplexity:sonar", primary_category="factual")
    _, other_model = breakdown_of("acme:sonar", primary_category="research")
    assert other_category.research_bonus == 0 and other_model.research_bonus == 0


def test_research_match_is_a_dial() -> None:
    config = with_dials(scoringBonuses={"researchMatch": {"idPrefixes": [], "providers": ["acme"]}})
    router = build([make_model("acme:m", 0), make_model("perplexity:s", 0)], config=config)
    scorer = Scorer.for_request(router, classification(primary_category="research"), 0, 0, None)
    assert scorer.breakdown(router.by_id["acme:m"]).research_bonus == 25
    assert scorer.breakdown(router.by_id["perplexity:s"]).research_bonus == 0


def test_score_is_at_least_the_quality_floor() -> None:
    # 50 * 0.7 = 35, minus 100/30 * 20 = 66.7: far below zero, floored at 10
    score, terms = breakdown_of(price=100, cost_bias=100, complexity="simple")
    assert terms.floor_applied and terms.before_floor < 10
    assert score == 10


def test_all_terms_together() -> None:
    score, terms = breakdown_of(
        "acme:m-flash",
        price=3,
        profile={"coding": 90, "reasoning": 70},
        quality=90,
        cost_bias=50,
        speed_bias=50,
        previous="acme:m-flash",
        capabilities=["thinking"],
        primary_category="coding",
        secondary_category="reasoning",
        complexity="complex",
        requires_reasoning=True,
    )
    # (90 + 21) * 1.2 - 3/30*0.5*20 + 8*0.5 + 25 + 15
    expected = 133.2 - 1 + 4 + 25 + 15
    assert score == pytest.approx(expected)
    assert terms.before_floor == pytest.approx(expected)


@pytest.mark.parametrize(
    ("price", "tier"),
    [(0, "cheap"), ("0.99", "cheap"), (1, "mid"), ("4.99", "mid"), (5, "premium"), (80, "premium")],
)
def test_cost_tier_boundaries_are_exact(price: float | str, tier: str) -> None:
    router = build([make_model("acme:m", price)])
    assert router.by_id["acme:m"].tier == tier
