"""Version history: field-level changes between two versions of a document."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypeAlias

from pydantic import Field

from modelplane.domain.base import DomainModel

ChangeType: TypeAlias = Literal[
    "created",
    "updated",
    "deprecated",
    "reactivated",
    "rolled_back",
    "imported",
    "synced",
    "retired",
]


class FieldChange(DomainModel):
    field: str
    old: Any = None
    new: Any = None


class HistoryEntry(DomainModel):
    """One version of a versioned document (a model, a profile, the router config)."""

    entity_id: str
    version: int = Field(ge=1)
    change_type: ChangeType
    changes: list[FieldChange]
    author: str
    at: datetime
    reason: str | None = None

    def to_json(self) -> dict[str, object]:
        # Keep null old/new values: a field that was absent is part of the answer.
        return self.model_dump(mode="json", by_alias=True)


def flatten(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"pricing": {"input": 1}} -> {"pricing.input": 1}``. Lists stay whole values."""
    flat: dict[str, Any] = {}
    for key, value in document.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[FieldChange]:
    """Field-level changes from ``old`` to ``new`` (JSON forms), sorted by field path."""
    before = flatten(old or {})
    after = flatten(new)
    return [
        FieldChange(field=path, old=before.get(path), new=after.get(path))
        for path in sorted(before.keys() | after.keys())
        if before.get(path) != after.get(path)
    ]
