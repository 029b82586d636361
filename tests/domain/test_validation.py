"""Pydantic's errors as named fields (``domain/validation.py``): JSON paths and messages."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelplane.domain.errors import FieldError
from modelplane.domain.models import ModelSpec
from modelplane.domain.validation import field_errors, json_path

from .support import model_spec


@pytest.mark.parametrize(
    ("location", "prefix", "path"),
    [
        (("models", 3, "pricing", "input"), "", "models[3].pricing.input"),
        (("pricing", "input"), "", "pricing.input"),
        ((0, "id"), "", "[0].id"),
        (("capabilities", 1), "", "capabilities[1]"),
        ((), "", ""),
        (("id",), "models[2]", "models[2].id"),
        ((4,), "profiles", "profiles[4]"),
        ((), "routerConfig", "routerConfig"),
    ],
)
def test_json_path_joins_names_with_dots_and_indexes_with_brackets(
    location: tuple[int | str, ...], prefix: str, path: str
) -> None:
    assert json_path(location, prefix) == path


def errors_for(data: object, prefix: str = "") -> list[FieldError]:
    with pytest.raises(ValidationError) as exc:
        ModelSpec.model_validate(data)
    return field_errors(exc.value, prefix)


def test_every_error_is_reported_in_field_order() -> None:
    errors = errors_for(model_spec(contextWindow=0, pricing={"input": -1, "output": 2}))
    assert [e.path for e in errors] == ["contextWindow", "pricing.input"]


def test_a_prefix_places_the_errors_inside_a_larger_document() -> None:
    errors = errors_for(model_spec(contextWindow=0), prefix="models[7]")
    assert [e.path for e in errors] == ["models[7].contextWindow"]


def test_the_value_error_prefix_is_dropped_from_messages() -> None:
    [error] = errors_for(model_spec(hostOrder=["groq", "groq"]))
    assert error.message == "a host is listed twice"


def test_the_discriminator_tag_is_left_out_of_the_path() -> None:
    bad = {"type": "anthropic-extended-thinking", "budgetMapping": {"low": -5}}
    [error] = errors_for(model_spec(reasoning=bad))
    assert error.path == "reasoning.budgetMapping.low"


def test_a_field_error_prints_as_path_then_message() -> None:
    assert str(FieldError("pricing.input", "must be at least 0")) == (
        "pricing.input: must be at least 0"
    )
    assert str(FieldError("", "must be a JSON object")) == "must be a JSON object"
