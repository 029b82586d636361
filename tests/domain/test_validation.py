from typing import Any

import pytest

from modelplane.domain.errors import InvalidInput
from modelplane.domain.models import Model, ModelSpec
from modelplane.domain.router_config import RouterConfigDoc
from modelplane.domain.validation import validate
from modelplane.store.static import read_json


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "acme:fast-1",
        "provider": "acme",
        "name": "Fast 1",
        "contextWindow": 8000,
        "pricing": {"input": 1, "output": 2},
    }
    return {**base, **overrides}


def paths(exc: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e.path for e in exc.value.errors]


def test_a_valid_spec_round_trips_through_json() -> None:
    model = validate(ModelSpec, spec(capabilities=["vision"]))
    assert validate(ModelSpec, model.to_json()) == model


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate(ModelSpec, spec(contextWindow=0, pricing={"input": -1, "output": 2}))
    assert paths(exc) == ["contextWindow", "pricing.input"]


def test_unknown_capability_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate(ModelSpec, spec(capabilities=["telepathy"]))
    assert paths(exc) == ["capabilities[0]"]


def test_unknown_field_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate(ModelSpec, spec(colour="blue"))
    assert paths(exc) == ["colour"]


def test_reasoning_config_is_validated_by_its_type() -> None:
    bad = {"type": "anthropic-extended-thinking", "budgetMapping": {"low": -5}}
    with pytest.raises(InvalidInput) as exc:
        validate(ModelSpec, spec(reasoning=bad))
    assert paths(exc) == ["reasoning.budgetMapping.low"]


def test_prices_keep_their_exact_digits_in_json() -> None:
    model = validate(ModelSpec, spec(pricing={"input": 0.015, "output": 10}))
    assert model.to_json()["pricing"] == {"input": 0.015, "output": 10}


def test_reference_defaults_validate_and_keep_speed_rule_order() -> None:
    doc = validate(RouterConfigDoc, read_json("router-defaults.json"))
    rules = [(r.match, r.value, r.bonus) for r in doc.speed_bonuses]
    assert rules[:3] == [("host", "cerebras", 12), ("host", "groq", 10), ("name", "flash", 8)]
    assert rules[-1] == ("capability", "extended-thinking", -8)


def test_cheap_threshold_must_be_below_mid() -> None:
    data = read_json("router-defaults.json")
    data["costTiers"] = {"cheapThreshold": 5, "midThreshold": 5}
    with pytest.raises(InvalidInput) as exc:
        validate(RouterConfigDoc, data)
    assert paths(exc) == ["costTiers"]
    assert "cheapThreshold must be below midThreshold" in str(exc.value)


def test_tier_weights_must_sum_to_one() -> None:
    data = read_json("router-defaults.json")
    data["tierWeights"]["moderate"] = {"cheap": 0.5, "mid": 0.3, "premium": 0.3}
    with pytest.raises(InvalidInput) as exc:
        validate(RouterConfigDoc, data)
    assert paths(exc) == ["tierWeights.moderate"]


def test_tier_weights_within_tolerance_are_accepted() -> None:
    data = read_json("router-defaults.json")
    data["tierWeights"]["simple"] = {"cheap": 0.6005, "mid": 0.25, "premium": 0.15}
    validate(RouterConfigDoc, data)


def test_multipliers_must_be_positive() -> None:
    data = read_json("router-defaults.json")
    data["complexity"]["simplePenalty"] = 0
    with pytest.raises(InvalidInput) as exc:
        validate(RouterConfigDoc, data)
    assert paths(exc) == ["complexity.simplePenalty"]


@pytest.mark.parametrize(
    "model_id",
    [
        "acme:fast/history",
        "acme:fast/rollback",
        "acme:fast/deprecate",
        "acme:fast/reactivate",
        "acme:fast/duplicate",
        "acme:fast/history/3",
    ],
)
def test_an_id_ending_in_an_api_action_is_refused(model_id: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        validate(ModelSpec, spec(id=model_id))
    assert paths(exc) == ["id"]
    assert "the API uses that path" in exc.value.errors[0].message


@pytest.mark.parametrize("model_id", ["acme:history", "acme:fast/historic", "acme:fast/v2"])
def test_ids_that_merely_contain_an_action_word_are_fine(model_id: str) -> None:
    assert validate(ModelSpec, spec(id=model_id)).id == model_id


def test_a_stored_row_with_such_an_id_still_reads_back() -> None:
    stored = Model.model_validate(spec(id="acme:fast/history", version=1))
    assert stored.spec().id == "acme:fast/history"
