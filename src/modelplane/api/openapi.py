"""The OpenAPI document, made to match what the server answers.

FastAPI's generated document is amended in one place, once per app:

- every operation lists its error answers (``4XX``, and ``503`` while the database is out)
  as ``application/problem+json`` with the problem schema, and FastAPI's ``422`` (its
  ``HTTPValidationError`` shape, which the server never sends) becomes a problem too;
- a public read (``deps.PublicRead``, whose token has its own scheme name) needs no token
  unless ``MODELPLANE_PUBLIC_READS_REQUIRE_TOKEN`` is set: its security requirement says
  the bearer token is optional.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from modelplane.api.deps import PUBLIC_READ_SCHEME
from modelplane.api.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each offending field.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                "required": ["path", "message"],
            },
        },
    },
    "required": ["type", "title", "status"],
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERRORS = {
    "4XX": "Refused: the problem names the reason and each offending field.",
    "503": "The database is unavailable (reads and routing still answer).",
}
_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}


def _public_security(operation: dict[str, Any], token_required: bool) -> None:
    """A public read's token: optional (``{}`` is "no requirement"), or, when the server
    requires one, the ordinary bearer token."""
    security = operation.get("security", [])
    if not any(PUBLIC_READ_SCHEME in requirement for requirement in security):
        return
    others = [r for r in security if PUBLIC_READ_SCHEME not in r]
    bearer = others or [{"HTTPBearer": []}]
    operation["security"] = bearer if token_required else [{}, *bearer]


def document(app: FastAPI, public_reads_require_token: bool) -> dict[str, Any]:
    """The amended document (see the module)."""
    spec = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for item in spec.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _problem("Invalid input: each problem names its field.")
            for status, description in _ERRORS.items():
                responses.setdefault(status, _problem(description))
            _public_security(operation, public_reads_require_token)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    security_schemes = spec["components"].get("securitySchemes", {})
    security_schemes.pop(PUBLIC_READ_SCHEME, None)
    return spec


def install(app: FastAPI, public_reads_require_token: bool) -> None:
    """Serve ``document`` at ``/openapi.json`` (built on first request, then kept)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, public_reads_require_token)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


__all__ = ["PROBLEM_SCHEMA", "document", "install"]
