"""Field-level history (``domain/history.py``): ``flatten`` and ``diff`` between versions."""

from __future__ import annotations

from datetime import UTC, datetime

from modelplane.domain.history import FieldChange, HistoryEntry, diff, flatten


def test_flatten_joins_nested_keys_with_dots_and_keeps_lists_whole() -> None:
    document = {"pricing": {"input": 1, "output": 2}, "capabilities": ["vision"], "name": "A"}
    assert flatten(document) == {
        "pricing.input": 1,
        "pricing.output": 2,
        "capabilities": ["vision"],
        "name": "A",
    }


def test_flatten_keeps_an_empty_object_as_a_value() -> None:
    assert flatten({"benchmarks": {}, "a": {"b": {"c": 1}}}) == {"benchmarks": {}, "a.b.c": 1}


def test_a_creation_lists_every_field_as_new() -> None:
    changes = diff(None, {"name": "A", "pricing": {"input": 1}})
    assert changes == [
        FieldChange(field="name", old=None, new="A"),
        FieldChange(field="pricing.input", old=None, new=1),
    ]


def test_only_changed_fields_are_listed_sorted_by_path() -> None:
    old = {"status": "active", "pricing": {"input": 1, "output": 2}, "name": "A"}
    new = {"status": "deprecated", "pricing": {"input": 3, "output": 2}, "name": "A"}
    assert diff(old, new) == [
        FieldChange(field="pricing.input", old=1, new=3),
        FieldChange(field="status", old="active", new="deprecated"),
    ]


def test_added_and_removed_fields_show_the_missing_side_as_none() -> None:
    changes = diff({"description": "old", "name": "A"}, {"name": "A", "gateway": "vercel"})
    assert changes == [
        FieldChange(field="description", old="old", new=None),
        FieldChange(field="gateway", old=None, new="vercel"),
    ]


def test_a_list_change_is_one_change_of_the_whole_list() -> None:
    changes = diff({"capabilities": ["vision"]}, {"capabilities": ["vision", "thinking"]})
    assert changes == [
        FieldChange(field="capabilities", old=["vision"], new=["vision", "thinking"])
    ]


def test_identical_documents_have_no_changes() -> None:
    document = {"name": "A", "pricing": {"input": 1}}
    assert diff(document, dict(document)) == []


def test_a_history_entry_keeps_null_sides_in_its_json() -> None:
    entry = HistoryEntry(
        entity_id="acme:a",
        version=2,
        change_type="updated",
        changes=diff({"name": "A"}, {"name": "A", "gateway": "vercel"}),
        author="ana",
        at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    out = entry.to_json()
    assert out["changes"] == [{"field": "gateway", "old": None, "new": "vercel"}]
    assert out["reason"] is None
    assert out["changeType"] == "updated"
