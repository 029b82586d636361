"""``domain/validation.py``: pydantic's errors as named fields (JSON paths and messages), and
``deep_merge``, how a partial update (``--set pricing.input=3``, a PATCH body) lands on the
stored document."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelplane.domain.errors import FieldError
from modelplane.domain.models import ModelSpec
from modelplane.domain.validation import deep_merge, field_errors, json_path

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


def test_nested_objects_merge_and_other_values_replace() -> None:
    base = {"pricing": {"input": 1, "output": 2}, "name": "A"}
    assert deep_merge(base, {"pricing": {"input": 3}}) == {
        "pricing": {"input": 3, "output": 2},
        "name": "A",
    }


def test_a_none_removes_the_field_at_any_depth() -> None:
    base = {"pricing": {"input": 1, "cached": 0.5}, "gateway": "vercel"}
    assert deep_merge(base, {"gateway": None, "pricing": {"cached": None}}) == {
        "pricing": {"input": 1}
    }


def test_removing_an_absent_field_is_no_error() -> None:
    assert deep_merge({"name": "A"}, {"description": None}) == {"name": "A"}


def test_lists_are_replaced_whole_not_merged() -> None:
    merged = deep_merge({"capabilities": ["vision", "thinking"]}, {"capabilities": ["vision"]})
    assert merged == {"capabilities": ["vision"]}


def test_an_object_replaces_a_scalar_and_a_scalar_an_object() -> None:
    assert deep_merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert deep_merge({"a": {"b": 2}}, {"a": 1}) == {"a": 1}


def test_new_keys_are_added_at_any_depth() -> None:
    assert deep_merge({"a": {"b": 1}}, {"a": {"c": {"d": 2}}, "e": 3}) == {
        "a": {"b": 1, "c": {"d": 2}},
        "e": 3,
    }


def test_neither_input_is_changed() -> None:
    base: dict[str, Any] = {"pricing": {"input": 1, "output": 2}}
    patch: dict[str, Any] = {"pricing": {"input": 3, "output": None}}
    deep_merge(base, patch)
    assert base == {"pricing": {"input": 1, "output": 2}}
    assert patch == {"pricing": {"input": 3, "output": None}}


def test_a_field_nobody_asked_for_is_named_as_unknown() -> None:
    with pytest.raises(ValidationError) as caught:
        ModelSpec.model_validate({**model_spec(), "colour": "red"})
    assert field_errors(caught.value) == [FieldError("colour", "unknown field")]
