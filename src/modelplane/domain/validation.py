"""Validation shared by every kind: pydantic's errors as field errors naming a JSON path,
partial documents merged into whole ones, and a write's reason."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelplane.domain.base import text_problem
from modelplane.domain.errors import FieldError, InvalidInput

T = TypeVar("T", bound=BaseModel)

MAX_REASON = 2000
"""The longest reason a write may carry into history (API, console and CLI alike)."""


def json_path(location: tuple[int | str, ...], prefix: str = "") -> str:
    """``("models", 3, "pricing", "input") -> "models[3].pricing.input"``."""
    path = prefix
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Every problem pydantic found, each with the path of the field at fault."""
    out = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not _is_union_tag(p))
        # One wording for a field nobody asked for, on every face and in every document.
        message = (
            "unknown field"
            if error["type"] == "extra_forbidden"
            else error["msg"].removeprefix("Value error, ")
        )
        out.append(FieldError(json_path(loc, prefix), message))
    return out


def _is_union_tag(part: int | str) -> bool:
    # Discriminated unions add the tag ("openai-reasoning-effort") to the location.
    return isinstance(part, str) and "-" in part and part[:1].islower() and ":" not in part


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


def merge_patch(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """The smallest patch that ``deep_merge`` turns ``before`` into ``after`` with: changed
    fields only, nested objects walked into, a removed field as ``None``.

    ``merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 5, "d": 3}})``
    gives ``{"b": {"c": 5}}``.
    """
    base = before or {}
    patch: dict[str, Any] = {}
    for key, value in after.items():
        old = base.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            inner = merge_patch(old, value)
            if inner:
                patch[key] = inner
        elif key not in base or old != value:
            patch[key] = value
    for key in base:
        if key not in after:
            patch[key] = None
    return patch


def require_object(data: Any, what: str) -> dict[str, Any]:
    """``data`` if it is a JSON object, else an ``InvalidInput`` saying what it should be."""
    if not isinstance(data, dict):
        raise InvalidInput([FieldError("", f"{what} must be a JSON object")])
    return data


def validate_reason(value: Any) -> str | None:
    """A write's reason: text of at most ``MAX_REASON`` characters, stripped; blank is none."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_REASON:
        raise InvalidInput([FieldError("reason", f"must be text of at most {MAX_REASON} chars")])
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput([FieldError("reason", problem)])
    return value.strip() or None


def require_reason(value: Any) -> str:
    """The reason a risky write must give (a status change, a rollout step, the kill
    switch): a ``validate_reason`` that refuses a blank one."""
    reason = validate_reason(value)
    if reason is None:
        raise InvalidInput([FieldError("reason", "give a reason: it is kept in the history")])
    return reason
