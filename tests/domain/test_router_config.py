"""Every dial of the router as one document (``domain/router_config.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from modelplane.domain.router_config import (
    CostTiers,
    RouterConfig,
    RouterConfigDoc,
    SpeedRule,
    TierWeights,
)

from .support import paths, problems, router_defaults


def doc(data: dict[str, Any] | None = None) -> RouterConfigDoc:
    return RouterConfigDoc.model_validate(router_defaults() if data is None else data)


def test_reference_defaults_validate_and_keep_speed_rule_order() -> None:
    rules = [(r.match, r.value, r.bonus) for r in doc().speed_bonuses]
    assert rules[:3] == [("host", "cerebras", 12), ("host", "groq", 10), ("name", "flash", 8)]
    assert rules[-1] == ("capability", "extended-thinking", -8)


def test_prose_keys_of_the_reference_file_are_dropped_not_refused() -> None:
    data = router_defaults()
    assert "complexityLevels" in data
    out = doc(data).to_json()
    assert "complexityLevels" not in out
    assert "userPreferences" not in out
    assert "tierOf" not in out["costTiers"]  # type: ignore[operator]


def test_the_json_form_round_trips_with_speed_bonuses_as_a_list() -> None:
    out = doc().to_json()
    assert isinstance(out["speedBonuses"], list)
    assert doc(out) == doc()


def test_a_speed_bonus_key_without_a_kind_is_refused() -> None:
    data = router_defaults()
    data["speedBonuses"] = {"cerebras": 12}  # should have been "host:cerebras"
    assert paths(RouterConfigDoc, data) == ["speedBonuses[0].match", "speedBonuses[0].value"]


def test_cheap_threshold_must_be_below_mid() -> None:
    data = router_defaults()
    data["costTiers"] = {"cheapThreshold": 5, "midThreshold": 5}
    [error] = problems(RouterConfigDoc, data)
    assert error.path == "costTiers"
    assert "cheapThreshold must be below midThreshold" in error.message


@pytest.mark.parametrize(
    ("price", "tier"), [(0, "cheap"), (0.99, "cheap"), (1, "mid"), (4.99, "mid"), (5, "premium")]
)
def test_cost_tier_bounds_belong_to_the_tier_above(price: float, tier: str) -> None:
    assert CostTiers(cheap_threshold=1, mid_threshold=5).tier_of(price) == tier


def test_tier_weights_must_sum_to_one() -> None:
    data = router_defaults()
    data["tierWeights"]["moderate"] = {"cheap": 0.5, "mid": 0.3, "premium": 0.3}
    [error] = problems(RouterConfigDoc, data)
    assert error.path == "tierWeights.moderate"
    assert "they sum to 1.1" in error.message


def test_tier_weights_within_tolerance_are_accepted() -> None:
    data = router_defaults()
    data["tierWeights"]["simple"] = {"cheap": 0.6005, "mid": 0.25, "premium": 0.15}
    assert doc(data).tier_weights.of("simple").of("cheap") == 0.6005


def test_tier_weights_just_outside_tolerance_are_refused() -> None:
    assert paths(TierWeights, {"cheap": 0.6015, "mid": 0.25, "premium": 0.15}) == [""]


def test_multipliers_must_be_positive() -> None:
    data = router_defaults()
    data["complexity"]["simplePenalty"] = 0
    assert paths(RouterConfigDoc, data) == ["complexity.simplePenalty"]


def test_a_capability_speed_rule_must_name_a_known_capability() -> None:
    [error] = problems(SpeedRule, {"match": "capability", "value": "telepathy", "bonus": 3})
    assert "unknown capability 'telepathy'" in error.message
    assert SpeedRule(match="name", value="telepathy", bonus=3).value == "telepathy"


def test_a_high_stakes_domain_listed_twice_is_refused() -> None:
    data = router_defaults()
    data["highStakesDomains"] = ["medical", "legal", "medical"]
    assert paths(RouterConfigDoc, data) == ["highStakesDomains"]


def rules(*rows: tuple[str, str, float]) -> RouterConfigDoc:
    data = router_defaults()
    data["speedBonuses"] = [{"match": m, "value": v, "bonus": b} for m, v, b in rows]
    return doc(data)


def test_the_first_matching_speed_rule_wins() -> None:
    config = rules(("host", "groq", 10), ("name", "flash", 8), ("capability", "thinking", -5))
    assert config.speed_bonus_for("google:gemini-flash", ["groq"], ["thinking"]) == 10
    assert config.speed_bonus_for("google:gemini-flash", None, ["thinking"]) == 8
    assert config.speed_bonus_for("acme:slow", [], ["thinking"]) == -5
    assert config.speed_bonus_for("acme:slow", ["together"], []) == 0


def test_a_host_rule_matches_any_host_in_the_order_not_a_substring() -> None:
    config = rules(("host", "groq", 10))
    assert config.speed_bonus_for("acme:x", ["together", "groq"], []) == 10
    assert config.speed_bonus_for("acme:x", ["groqcloud"], []) == 0


def test_a_stored_config_keeps_its_version_and_its_doc_drops_it() -> None:
    stored = RouterConfig.model_validate({**router_defaults(), "version": 4, "updatedBy": "ana"})
    assert stored.version == 4
    assert stored.doc() == doc()
    assert "version" not in stored.doc().to_json()
