"""What a valid model is (``domain/models.py``): ids, prices, capabilities, stored rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from modelplane.domain.models import (
    AUTO_MODEL_ID,
    CAPABILITIES,
    Model,
    ModelSpec,
    Pricing,
    Provider,
    auto_model_entry,
)

from .support import model_spec, paths, problems


def test_a_valid_spec_round_trips_through_json() -> None:
    model = ModelSpec.model_validate(model_spec(capabilities=["vision"]))
    assert ModelSpec.model_validate(model.to_json()) == model


def test_json_is_camel_case_and_leaves_out_unset_optionals() -> None:
    out = ModelSpec.model_validate(model_spec()).to_json()
    assert out["contextWindow"] == 8000
    assert "context_window" not in out
    assert "knowledgeCutoff" not in out
    assert out["status"] == "active"


def test_snake_case_names_are_accepted_on_the_way_in() -> None:
    data = model_spec()
    data["context_window"] = data.pop("contextWindow")
    assert ModelSpec.model_validate(data).context_window == 8000


def test_every_bad_field_is_named_at_once() -> None:
    bad = model_spec(contextWindow=0, pricing={"input": -1, "output": 2})
    assert paths(ModelSpec, bad) == ["contextWindow", "pricing.input"]


def test_a_negative_price_is_refused_naming_the_price() -> None:
    [error] = problems(ModelSpec, model_spec(pricing={"input": -1, "output": 2}))
    assert error.path == "pricing.input"
    assert "greater than or equal to 0" in error.message


@pytest.mark.parametrize("price", ["NaN", "Infinity"])
def test_a_price_that_is_not_a_number_is_refused(price: str) -> None:
    assert paths(ModelSpec, model_spec(pricing={"input": price, "output": 2})) == ["pricing.input"]


def test_a_price_with_more_than_ten_decimal_places_is_refused() -> None:
    assert paths(Pricing, {"input": "0.00000000001", "output": 1}) == ["input"]


def test_prices_are_exact_decimals_and_keep_their_digits_in_json() -> None:
    model = ModelSpec.model_validate(model_spec(pricing={"input": "0.015", "output": 10}))
    assert model.pricing.input == Decimal("0.015")
    assert model.to_json()["pricing"] == {"input": 0.015, "output": 10}


def test_unknown_capability_is_refused_by_position() -> None:
    assert paths(ModelSpec, model_spec(capabilities=["vision", "telepathy"])) == ["capabilities[1]"]


def test_a_capability_listed_twice_is_refused_by_name() -> None:
    [error] = problems(ModelSpec, model_spec(capabilities=["vision", "thinking", "vision"]))
    assert error.path == "capabilities"
    assert "capability listed twice: vision" in error.message


def test_a_host_listed_twice_is_refused() -> None:
    [error] = problems(ModelSpec, model_spec(hostOrder=["groq", "cerebras", "groq"]))
    assert error.path == "hostOrder"
    assert "a host is listed twice" in error.message


def test_unknown_field_is_refused() -> None:
    assert paths(ModelSpec, model_spec(colour="blue")) == ["colour"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "no-colon"),
        ("id", "Acme:upper-provider"),
        ("provider", "Has Spaces"),
        ("contextWindow", 100_000_001),
        ("status", "retired"),
        ("speedTier", "warp"),
        ("name", ""),
    ],
)
def test_malformed_values_are_refused_by_field(field: str, value: Any) -> None:
    assert paths(ModelSpec, model_spec(**{field: value})) == [field]


def test_surrounding_whitespace_is_stripped() -> None:
    assert ModelSpec.model_validate(model_spec(name="  Fast 1  ")).name == "Fast 1"


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
    [error] = problems(ModelSpec, model_spec(id=model_id))
    assert error.path == "id"
    assert "the API uses that path" in error.message


@pytest.mark.parametrize("model_id", ["acme:history", "acme:fast/historic", "acme:fast/v2"])
def test_ids_that_merely_contain_an_action_word_are_fine(model_id: str) -> None:
    assert ModelSpec.model_validate(model_spec(id=model_id)).id == model_id


def test_a_stored_row_with_such_an_id_still_reads_back() -> None:
    stored = Model.model_validate(model_spec(id="acme:fast/history", version=1))
    assert stored.spec().id == "acme:fast/history"


def test_a_stored_model_defaults_to_version_0_and_its_spec_drops_audit_fields() -> None:
    stored = Model.model_validate(model_spec(updatedBy="ana"))
    assert stored.version == 0
    assert stored.spec() == ModelSpec.model_validate(model_spec())
    assert "updatedBy" not in stored.spec().to_json()


def test_a_negative_version_is_refused() -> None:
    assert paths(Model, model_spec(version=-1)) == ["version"]


def test_models_are_immutable() -> None:
    model = ModelSpec.model_validate(model_spec())
    with pytest.raises(ValueError, match="frozen"):
        model.name = "other"  # type: ignore[misc]


def test_has_answers_for_listed_capabilities_only() -> None:
    model = ModelSpec.model_validate(model_spec(capabilities=["vision"]))
    assert model.has("vision")
    assert not model.has("thinking")


def test_average_price_is_the_mean_of_input_and_output() -> None:
    assert Pricing(input=Decimal("1.75"), output=Decimal("14")).average == Decimal("7.875")


def test_provider_ids_are_slugs() -> None:
    assert paths(Provider, {"id": "Open AI", "displayName": "OpenAI"}) == ["id"]
    assert Provider.model_validate({"id": "openai", "displayName": "OpenAI"}).id == "openai"


def test_the_auto_entry_is_not_a_catalogue_model() -> None:
    entry = auto_model_entry()
    assert entry["id"] == AUTO_MODEL_ID == "auto"
    assert entry["isAuto"] is True
    assert paths(ModelSpec, model_spec(id=AUTO_MODEL_ID)) == ["id"]


def test_every_capability_is_accepted() -> None:
    model = ModelSpec.model_validate(model_spec(capabilities=list(CAPABILITIES)))
    assert tuple(model.capabilities) == CAPABILITIES
