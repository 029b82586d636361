"""Helpers shared by the write services."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelplane.domain.errors import FieldError, InvalidInput, VersionConflict
from modelplane.domain.history import ChangeType, HistoryEntry, diff
from modelplane.domain.validation import field_errors
from modelplane.store.repositories import HistoryRepository
from modelplane.store.unit_of_work import UnitOfWork

T = TypeVar("T", bound=BaseModel)


def validate(kind: type[T], data: Any, prefix: str = "") -> T:
    """``kind.model_validate(data)``, with every problem reported as a named field."""
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc, prefix)) from None


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into ``base``: nested objects merge, anything else replaces.

    ``deep_merge({"pricing": {"input": 1, "output": 2}}, {"pricing": {"input": 3}})``
    gives ``{"pricing": {"input": 3, "output": 2}}``. A ``None`` removes an optional field.
    """
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        elif value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def require_object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput([FieldError("", f"{what} must be a JSON object")])
    return data


def conflict(
    history: HistoryRepository, kind: str, key: str, expected: int, current: int
) -> VersionConflict:
    """A 409's content: the current version, and the fields changed since ``expected``."""
    changed: set[str] = set()
    newer = max(current - expected, 0)
    if newer:
        for entry in history.page(key, 0, newer):
            if entry.version > expected:
                changed.update(c.field for c in entry.changes)
    return VersionConflict(kind, key, expected, current, sorted(changed))


def record_version(
    uow: UnitOfWork,
    history: HistoryRepository,
    kind: str,
    entity_id: str,
    version: int,
    change_type: ChangeType,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    author: str,
    reason: str | None,
    at: datetime,
) -> None:
    """The one way a versioned document's change is recorded: a history row holding the
    field-level diff and the whole new document, and a note for the change log."""
    entry = HistoryEntry(
        entity_id=entity_id,
        version=version,
        change_type=change_type,
        changes=diff(before, after),
        author=author,
        at=at,
        reason=reason,
    )
    history.append(entry, after)
    uow.touch(kind, entity_id)
