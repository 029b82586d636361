"""Helpers for the domain tests: validation as the faces see it (every problem named by its
JSON path), and the bundled router defaults. Nothing here touches a database or an app."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from modelplane.domain.errors import FieldError
from modelplane.domain.validation import field_errors


def problems(
    kind: type[BaseModel], data: Any, context: dict[str, Any] | None = None
) -> list[FieldError]:
    """The field errors ``kind`` reports for ``data``; fails the test if it is accepted."""
    with pytest.raises(ValidationError) as exc:
        kind.model_validate(data, context=context)
    return field_errors(exc.value)


def paths(kind: type[BaseModel], data: Any) -> list[str]:
    return [e.path for e in problems(kind, data)]


def router_defaults() -> dict[str, Any]:
    """A fresh copy of the bundled ``router-defaults.json`` (the reference shape)."""
    text = resources.files("modelplane.static").joinpath("router-defaults.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def model_spec(**overrides: Any) -> dict[str, Any]:
    """A minimal valid model spec in its JSON form, with ``overrides`` applied."""
    base: dict[str, Any] = {
        "id": "acme:fast-1",
        "provider": "acme",
        "name": "Fast 1",
        "contextWindow": 8000,
        "pricing": {"input": 1, "output": 2},
    }
    return {**base, **overrides}
