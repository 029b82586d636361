"""Eligibility, stickiness, high stakes, the tier roll and the fallback."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from modelplane.router import AllModelsExhausted, CompiledRouter, decide
from modelplane.router.selection.decide import Outcome

from ..conftest import build, classification, make_model, make_profile, request, with_dials

CHEAP = [make_model(f"acme:cheap-{i}", "0.5") for i in range(3)]
MID = [make_model(f"acme:mid-{i}", 2) for i in range(2)]
PREMIUM = [make_model(f"acme:premium-{i}", 10) for i in range(2)]
FALLBACK = make_model("openai:gpt-5-mini", "0.375")


def run(router: CompiledRouter, seed: int = 0, **fields: Any) -> Outcome:
    c = classification(**fields.pop("classification", {}))
    return decide(router, c, request(**fields), random.Random(seed))


def eligible_ids(router: CompiledRouter, **fields: Any) -> set[str]:
    return {m.id for m in run(router, **fields).eligible.all()}


# Eligibility --------------------------------------------------------------------------------


def test_deprecated_internal_only_and_excluded_models_are_not_eligible() -> None:
    router = build(
        [
            make_model("acme:ok"),
            make_model("acme:old", status="deprecated"),
            make_model("acme:staff", is_internal_only=True),
            make_model("acme:failed"),
        ]
    )
    assert eligible_ids(router, exclude=["acme:failed"]) == {"acme:ok"}


def test_context_window_must_cover_context_tokens_times_the_buffer() -> None:
    router = build(
        [
            make_model("acme:exact", context_window=120_000),
            make_model("acme:short", context_window=119_999),
        ]
    )
    assert eligible_ids(router, context_tokens=100_000) == {"acme:exact"}


def test_vision_is_required_when_the_classification_says_so() -> None:
    router = build([make_model("acme:eyes", capabilities=["vision"]), make_model("acme:blind")])
    assert eligible_ids(router, classification={"requires_vision": True}) == {"acme:eyes"}
    assert eligible_ids(router) == {"acme:eyes", "acme:blind"}


def test_long_context_needs_the_threshold() -> None:
    router = build(
        [
            make_model("acme:long", context_window=128_000),
            make_model("acme:short", context_window=127_999),
        ]
    )
    assert eligible_ids(router, classification={"requires_long_context": True}) == {"acme:long"}


def test_image_generation_models_only_for_multimodal() -> None:
    router = build(
        [make_model("acme:painter", capabilities=["image-generation"]), make_model("acme:writer")]
    )
    assert eligible_ids(router) == {"acme:writer"}
    multimodal = eligible_ids(router, classification={"primary_category": "multimodal"})
    assert multimodal == {"acme:painter", "acme:writer"}


def test_no_eligible_model_means_the_fallback_model() -> None:
    router = build([make_model("acme:blind"), FALLBACK])
    outcome = run(router, classification={"requires_vision": True})
    assert outcome.is_fallback and outcome.model.id == "openai:gpt-5-mini"


def test_fallback_excluded_too_means_all_models_exhausted() -> None:
    router = build([make_model("acme:only"), FALLBACK])
    with pytest.raises(AllModelsExhausted, match="all models exhausted"):
        run(router, exclude=["acme:only", "openai:gpt-5-mini"])


def test_deprecated_fallback_is_not_used() -> None:
    router = build([make_model("openai:gpt-5-mini", status="deprecated")])
    with pytest.raises(AllModelsExhausted, match="deprecated"):
        run(router)


def test_a_deprecated_model_is_never_selected() -> None:
    models = [make_model("acme:old", "0.1", status="deprecated"), make_model("acme:new", 20)]
    profiles = [make_profile("acme:old", 99, conversation=100)]
    for strategy in ("weighted-random", "best-in-tier", "best"):
        router = build(models, profiles, with_dials(routerSettings={"selectionStrategy": strategy}))
        picks = {run(router, seed=s, previous_model_id="acme:old").model.id for s in range(200)}
        assert picks == {"acme:new"}


# Sticky -------------------------------------------------------------------------------------

KEEP = {"recommended_action": "keep"}


def test_previous_model_is_kept_when_the_classifier_says_keep_and_it_fits() -> None:
    router = build([*CHEAP, *PREMIUM])
    outcome = run(router, previous_model_id="acme:premium-0", classification=KEEP)
    assert outcome.is_sticky and outcome.model.id == "acme:premium-0"
    assert not outcome.exploration


@pytest.mark.parametrize(
    ("previous", "fields", "classification_fields", "reason"),
    [
        ("acme:cheap-0", {}, {"recommended_action": "change"}, "recommends a change"),
        ("acme:cheap-0", {"exclude": ["acme:cheap-0"]}, KEEP, "excluded"),
        ("acme:gone", {}, KEEP, "no longer in the catalogue"),
        ("acme:old", {}, KEEP, "deprecated"),
        ("acme:cheap-0", {}, {**KEEP, "requires_vision": True}, "lacks vision"),
        ("acme:cheap-0", {}, {**KEEP, "requires_long_context": True}, "long-context threshold"),
        ("acme:cheap-0", {"context_tokens": 100_000}, KEEP, "needed"),
    ],
)
def test_previous_model_is_rejected_for_each_reason(
    previous: str, fields: dict[str, Any], classification_fields: dict[str, Any], reason: str
) -> None:
    small = [make_model(f"acme:cheap-{i}", "0.5", context_window=100_000) for i in range(2)]
    models = [
        *small,
        make_model("acme:old", status="deprecated"),
        make_model("acme:wide-eyes", capabilities=["vision"], context_window=1_000_000),
    ]
    router = build(models)
    outcome = run(
        router, previous_model_id=previous, classification=classification_fields, **fields
    )
    assert not outcome.is_sticky
    assert outcome.sticky.reason is not None and reason in outcome.sticky.reason


# High stakes --------------------------------------------------------------------------------

MEDICAL = {"is_high_stakes": True, "high_stakes_domain": "medical", "complexity": "simple"}


def test_high_stakes_picks_uniformly_among_premium_models() -> None:
    router = build([*CHEAP, *MID, *PREMIUM])
    picks = Counter(run(router, seed=s, classification=MEDICAL).model.id for s in range(400))
    assert set(picks) == {"acme:premium-0", "acme:premium-1"}
    assert 150 < picks["acme:premium-0"] < 250  # binomial(400, 0.5): 5 standard deviations


def test_high_stakes_without_premium_takes_the_best_score(caplog: pytest.LogCaptureFixture) -> None:
    profiles = [
        make_profile("acme:mid-1", conversation=99),
        make_profile("acme:mid-0", conversation=60),
    ]
    outcome = run(build([*CHEAP, *MID], profiles), classification=MEDICAL)
    assert outcome.model.id == "acme:mid-1"
    assert "no premium model" in caplog.text


# The tier roll ------------------------------------------------------------------------------


@pytest.mark.parametrize("complexity", ["simple", "moderate", "complex"])
def test_tier_mix_over_many_rolls_matches_the_weights(complexity: str) -> None:
    """20,000 seeded rolls; each tier's share within 0.015 of its weight (the standard
    deviation of a share is at most 0.0035 here, so that is over 4 of them)."""
    router = build([*CHEAP, *MID, *PREMIUM])
    weights = router.dials.weights[complexity]  # type: ignore[index]
    rng = random.Random(2024)
    c = classification(complexity=complexity)
    tiers: Counter[str] = Counter(decide(router, c, request(), rng).tier for _ in range(20_000))
    for tier, weight in zip(("cheap", "mid", "premium"), weights, strict=True):
        assert tiers[tier] / 20_000 == pytest.approx(weight, abs=0.015)


def test_within_a_tier_the_pick_is_uniform() -> None:
    router = build([*CHEAP, *PREMIUM])
    outcomes = [run(router, seed=s) for s in range(6000)]
    picks = Counter(o.model.id for o in outcomes if o.tier == "cheap")
    assert set(picks) == {m.id for m in CHEAP}
    share = sum(picks.values()) / 3
    assert all(abs(n - share) < 0.1 * share for n in picks.values())


def test_mid_and_premium_picks_count_as_exploration() -> None:
    router = build([*CHEAP, *MID, *PREMIUM])
    for s in range(200):
        outcome = run(router, seed=s)
        assert outcome.exploration == (outcome.tier != "cheap")


def test_roll_skips_empty_tiers_by_rules_3_and_4() -> None:
    only_mid = build(MID)
    assert {run(only_mid, seed=s).tier for s in range(100)} == {"mid"}
    cheap_and_premium = build([*CHEAP, *PREMIUM])
    # r < 0.5 -> cheap; 0.5 <= r < 0.8 (no mid) and r >= 0.8 -> premium (rule 3)
    tiers = Counter(run(cheap_and_premium, seed=s).tier for s in range(2000))
    assert tiers["premium"] / 2000 == pytest.approx(0.5, abs=0.05)


def test_rule_5_takes_the_best_score_when_only_cheap_models_remain() -> None:
    profiles = [make_profile("acme:cheap-2", conversation=95)]
    router = build(CHEAP, profiles)
    outcomes = [run(router, seed=s) for s in range(300)]
    rolled_past_cheap = [o for o in outcomes if o.pick and o.pick.rule == "best-overall"]
    assert rolled_past_cheap, "some rolls land above the cheap weight"
    assert {o.model.id for o in rolled_past_cheap} == {"acme:cheap-2"}
    assert all(o.pick.roll >= 0.5 for o in rolled_past_cheap if o.pick and o.pick.roll is not None)


def test_the_same_seed_gives_the_same_decision() -> None:
    router = build([*CHEAP, *MID, *PREMIUM])
    first = [run(router, seed=s).model.id for s in range(50)]
    again = [run(router, seed=s).model.id for s in range(50)]
    assert first == again
    assert len(set(first)) > 3


def test_best_in_tier_takes_the_highest_score_of_the_rolled_tier() -> None:
    profiles = [
        make_profile("acme:cheap-1", conversation=90),
        make_profile("acme:mid-0", conversation=95),
    ]
    config = with_dials(routerSettings={"selectionStrategy": "best-in-tier"})
    router = build([*CHEAP, *MID, *PREMIUM], profiles, config)
    by_tier = {run(router, seed=s).tier: run(router, seed=s).model.id for s in range(200)}
    assert by_tier["cheap"] == "acme:cheap-1"
    assert by_tier["mid"] == "acme:mid-0"
    assert by_tier["premium"] == "acme:premium-0"  # equal scores: the lowest id


def test_best_takes_the_highest_score_overall_without_a_roll() -> None:
    profiles = [make_profile("acme:mid-1", conversation=90)]
    config = with_dials(routerSettings={"selectionStrategy": "best"})
    router = build([*CHEAP, *MID, *PREMIUM], profiles, config)
    outcomes = [run(router, seed=s) for s in range(20)]
    assert {o.model.id for o in outcomes} == {"acme:mid-1"}
    assert not any(o.exploration for o in outcomes)
