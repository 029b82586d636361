"""The ``quality`` strategy: the tier follows the difficulty against the budget dials, the
pick inside it follows the scores, and every term is in the explanation. The share tests
route 2,000 seeded messages over the seeded database before and after one edit."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from bench.just_eval import held_out

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import InvalidInput
from modelplane.domain.profiles import ProfileSpec
from modelplane.domain.router_config import RouterConfig
from modelplane.domain.validation import validate
from modelplane.router import RouteRequest, decide
from modelplane.router.classification.difficulty import shipped_model
from modelplane.router.classification.result import Classification
from modelplane.router.explanation import explain
from modelplane.services.router_data import put_profile, update_router_config
from modelplane.services.routing import preview

from .conftest import build, classification, defaults, make_model, make_profile, request, with_dials

ROUTES = 2_000
CHEAP = [make_model(f"acme:cheap-{i}", "0.5") for i in range(3)]
MID = [make_model(f"acme:mid-{i}", 2) for i in range(3)]
PREMIUM = [make_model(f"acme:premium-{i}", 10) for i in range(3)]
FALLBACK = make_model("openai:gpt-5-mini", "0.375")
QUALITY = {"selectionStrategy": "quality"}


def quality(**dials: Any) -> RouterConfig:
    return with_dials(routerSettings=QUALITY, quality=dials)


REFERENCE = shipped_model()


def at(share: float) -> float:
    """The difficulty of a message harder than ``share`` of the reference prompts."""
    return REFERENCE.threshold(share, hardest=False)


DIFFICULTY = {"simple": at(0.2), "moderate": at(0.5), "complex": at(0.8)}


def graded(complexity: str, **fields: Any) -> Classification:
    """A classification whose difficulty goes with its complexity (as a classifier's would)."""
    return classification(complexity=complexity, **{"difficulty": DIFFICULTY[complexity], **fields})


def tiers(router: Any, complexity: str, n: int = 400, **fields: Any) -> Counter[str]:
    c = graded(complexity, **fields)
    return Counter(decide(router, c, request(), random.Random(s)).tier for s in range(n))


# Config validation -------------------------------------------------------------------------


def _errors(patch: dict[str, Any]) -> dict[str, str]:
    data: dict[str, Any] = defaults().doc().to_json()
    for key, value in patch.items():
        data[key] = {**data.get(key, {}), **value}
    with pytest.raises(InvalidInput) as exc:
        validate(RouterConfig, data)
    return {e.path: e.message for e in exc.value.errors}


def test_an_unknown_strategy_is_refused_with_the_field_named() -> None:
    errors = _errors({"routerSettings": {"selectionStrategy": "cleverest"}})
    assert "routerSettings.selectionStrategy" in errors
    assert "quality" in errors["routerSettings.selectionStrategy"]


@pytest.mark.parametrize(
    ("dial", "value"),
    [("premiumShare", 1.5), ("cheapShare", -0.1), ("temperature", 0), ("exploration", 2)],
)
def test_a_quality_dial_out_of_range_is_refused_with_the_field_named(
    dial: str, value: float
) -> None:
    assert f"quality.{dial}" in _errors({"quality": {dial: value}})


def test_shares_that_add_up_to_more_than_one_are_refused() -> None:
    errors = _errors({"quality": {"premiumShare": 0.7, "cheapShare": 0.5}})
    assert any("premiumShare + cheapShare" in message for message in errors.values())


def test_weighted_random_stays_the_default_and_a_config_without_quality_dials_loads() -> None:
    config = defaults()
    assert config.router_settings.selection_strategy == "weighted-random"
    dials = build([*CHEAP, FALLBACK], config=config).dials
    assert dials.premium_threshold == pytest.approx(at(0.7))  # the hardest 30%
    assert dials.cheap_threshold == pytest.approx(at(0.4))  # the easiest 40%


# The tier follows the difficulty -------------------------------------------------------------


def test_the_tier_follows_the_difficulty_not_a_coin() -> None:
    router = build([*CHEAP, *MID, *PREMIUM, FALLBACK], config=quality())
    # by percentile of the reference prompts: 20% <= cheapShare 40%, 40% < 50% < 70%, and
    # 80% >= 1 - premiumShare
    assert tiers(router, "simple") == {"cheap": 400}
    assert tiers(router, "moderate") == {"mid": 400}
    assert tiers(router, "complex") == {"premium": 400}


def test_the_budget_dial_moves_the_thresholds() -> None:
    generous = build([*CHEAP, *MID, *PREMIUM, FALLBACK], config=quality(premiumShare=0.55))
    assert tiers(generous, "moderate") == {"premium": 400}  # 50% >= 45%
    frugal = build([*CHEAP, *MID, *PREMIUM, FALLBACK], config=quality(premiumShare=0.1))
    assert tiers(frugal, "complex") == {"mid": 400}  # 80% < 90%


def test_the_shares_are_shares_of_typical_traffic() -> None:
    """Real estimates sit mostly between 0.05 and 0.5: a share read as ``difficulty >= 1 -
    premiumShare`` sent nothing to premium. Over just-eval's held-out chat prompts the tiers
    get about the shares asked for."""
    texts = [prompt.text for prompt in held_out()]
    estimates = REFERENCE.estimate_many(texts)
    for premium, cheap in ((0.3, 0.4), (0.1, 0.7), (0.6, 0.2)):
        router = build(
            [*CHEAP, *MID, *PREMIUM, FALLBACK],
            config=quality(premiumShare=premium, cheapShare=cheap),
        )
        got = Counter(
            decide(
                router, graded("moderate", difficulty=round(d, 3)), request(), random.Random(0)
            ).tier
            for d in estimates
        )
        assert got["premium"] / len(texts) == pytest.approx(premium, abs=0.08)
        assert got["cheap"] / len(texts) == pytest.approx(cheap, abs=0.08)


def test_a_share_of_zero_or_one_sends_no_message_or_every_message() -> None:
    everything = build(
        [*CHEAP, *MID, *PREMIUM, FALLBACK], config=quality(premiumShare=1, cheapShare=0)
    )
    assert tiers(everything, "simple", difficulty=0.0) == {"premium": 400}
    nothing = build(
        [*CHEAP, *MID, *PREMIUM, FALLBACK], config=quality(premiumShare=0, cheapShare=1)
    )
    assert tiers(nothing, "complex", difficulty=1.0) == {"cheap": 400}
    outcome = decide(everything, graded("simple"), request(), random.Random(1))
    assert "premiumShare 1.00 sends every message to premium" in explain(outcome, None)


def test_a_message_of_unknown_difficulty_counts_as_a_typical_one() -> None:
    router = build([*CHEAP, *MID, *PREMIUM, FALLBACK], config=quality())
    unknown = classification(complexity="complex")  # no difficulty given
    assert Counter(
        decide(router, unknown, request(), random.Random(s)).tier for s in range(50)
    ) == {"mid": 50}


def test_an_empty_tier_falls_to_the_next_one_up() -> None:
    router = build([*CHEAP, *PREMIUM, FALLBACK], config=quality())
    assert tiers(router, "moderate") == {"premium": 400}
    only_cheap = build([*CHEAP, FALLBACK], config=quality())
    assert tiers(only_cheap, "complex") == {"cheap": 400}


def test_high_stakes_still_go_premium() -> None:
    router = build([*CHEAP, *MID, *PREMIUM, FALLBACK], config=quality())
    stakes: dict[str, Any] = {"is_high_stakes": True, "high_stakes_domain": "medical"}
    assert tiers(router, "simple", **stakes) == {"premium": 400}


# The pick follows the scores ----------------------------------------------------------------


def test_inside_a_tier_a_better_score_gets_more_traffic_and_exploration_keeps_the_rest() -> None:
    profiles = [
        make_profile("acme:mid-0", conversation=90),
        make_profile("acme:mid-1", conversation=70),
        make_profile("acme:mid-2", conversation=50),
    ]
    router = build([*MID, FALLBACK], profiles, quality(exploration=0.3, temperature=10))
    c = graded("moderate")
    picks = Counter(decide(router, c, request(), random.Random(s)).model.id for s in range(ROUTES))
    assert picks["acme:mid-0"] > picks["acme:mid-1"] > picks["acme:mid-2"] > 0
    # expected shares: 0.7 * softmax(90, 70, 50 at T=10) + 0.1 -> 0.71, 0.19, 0.11
    assert picks["acme:mid-2"] / ROUTES == pytest.approx(0.11, abs=0.03)
    greedy = build([*MID, FALLBACK], profiles, quality(exploration=0, temperature=0.1))
    assert {decide(greedy, c, request(), random.Random(s)).model.id for s in range(200)} == {
        "acme:mid-0"
    }


def test_the_explanation_shows_every_term() -> None:
    profiles = [make_profile("acme:premium-0", conversation=94)]
    router = build([*PREMIUM, FALLBACK], profiles, quality())
    outcome = decide(router, graded("complex"), request(), random.Random(1))
    text = explain(outcome, None)
    assert f"Difficulty {at(0.8):.3f} ≥ threshold {at(0.7):.3f} for premium" in text
    assert "premiumShare 0.30: the hardest 30% of reference prompts" in text
    assert "this one is harder than 80% of them" in text
    assert f"picked {outcome.model.id}, score " in text
    assert "% of the 3 premium models" in text
    assert "temperature 10" in text and "exploration 10%" in text
    assert outcome.pick is not None and outcome.pick.share is not None
    assert f"share {outcome.pick.share:.0%}" in text


# Over the seeded database: one edit moves the traffic ---------------------------------------


def _use_quality(runtime: Runtime, **patch: Any) -> None:
    with runtime.unit_of_work() as uow:
        update_router_config(uow, {"routerSettings": QUALITY, **patch}, "test", None, "quality")
        uow.commit()


def _share(runtime: Runtime, model_id: str, **fields: Any) -> float:
    base = {"classification": {"primaryCategory": "coding", "complexity": "moderate"}, **fields}
    picks = Counter(
        preview(runtime, RouteRequest.model_validate({**base, "seed": s})).selected_model_id
        for s in range(ROUTES)
    )
    return picks[model_id] / ROUTES


def _weak_coder_in_mid(runtime: Runtime) -> tuple[str, ProfileSpec]:
    """A mid-tier model whose coding score is at most 70, so 30 more fits the scale."""
    decision = preview(
        runtime,
        RouteRequest.model_validate(
            {
                "classification": {"primaryCategory": "coding", "complexity": "moderate"},
                "candidates": "all",
            }
        ),
    )
    mid = [c.model_id for c in decision.candidates if c.tier == "mid"]
    for model_id in sorted(mid):
        profile = runtime.reader.profile(model_id)
        if profile is not None and profile.category_scores.get("coding", 100) <= 70:
            return model_id, profile.spec()
    raise AssertionError("no mid model codes at 70 or less")


def test_raising_a_category_score_by_30_raises_the_share_of_that_category(
    runtime: Runtime,
) -> None:
    _use_quality(runtime)
    model_id, spec = _weak_coder_in_mid(runtime)
    before = _share(runtime, model_id)
    scores = {**spec.category_scores, "coding": spec.category_scores["coding"] + 30}
    raised = spec.model_copy(update={"category_scores": scores})
    put_profile(runtime.unit_of_work, raised, "test", None, "coding +30")
    after = _share(runtime, model_id)
    # 2,000 seeded routes: about 20 picks before; the edit must at least triple them.
    assert after > 3 * before and after - before > 0.02, (before, after)


def test_raising_the_stickiness_bonus_raises_the_previous_models_share(
    runtime: Runtime,
) -> None:
    _use_quality(runtime, scoringBonuses={"stickinessBonus": 0})
    model_id, _ = _weak_coder_in_mid(runtime)
    before = _share(runtime, model_id, previousModelId=model_id)  # "change": not kept as is
    _use_quality(runtime, scoringBonuses={"stickinessBonus": 30})
    after = _share(runtime, model_id, previousModelId=model_id)
    # 2,000 seeded routes: about 20 picks before; the edit must at least triple them.
    assert after > 3 * before and after - before > 0.02, (before, after)
