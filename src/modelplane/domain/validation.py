"""Turning pydantic's errors into field errors that name a JSON path."""

from __future__ import annotations

from pydantic import ValidationError

from modelplane.domain.errors import FieldError


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
        message = error["msg"].removeprefix("Value error, ")
        out.append(FieldError(json_path(loc, prefix), message))
    return out


def _is_union_tag(part: int | str) -> bool:
    # Discriminated unions add the tag ("openai-reasoning-effort") to the location.
    return isinstance(part, str) and "-" in part and part[:1].islower() and ":" not in part
