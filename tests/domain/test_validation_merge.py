"""``deep_merge``: how a partial update (``--set pricing.input=3``, a PATCH body) lands on
the stored document."""

from __future__ import annotations

from typing import Any

from modelplane.domain.validation import deep_merge


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
