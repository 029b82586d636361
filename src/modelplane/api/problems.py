"""Errors as RFC 9457 problem details, each naming the offending fields by JSON path."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelplane.catalog.errors import (
    AlreadyExists,
    DatabaseUnavailable,
    InvalidInput,
    ModelplaneError,
    NotFound,
    VersionConflict,
)
from modelplane.catalog.validation import json_path

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _errors_json(exc: InvalidInput) -> list[dict[str, str]]:
    return [{"path": e.path, "message": e.message} for e in exc.errors]


def install(app: FastAPI) -> None:
    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return problem(422, "Invalid input", str(exc), errors=_errors_json(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "Not found", str(exc), suggestions=exc.suggestions)

    @app.exception_handler(AlreadyExists)
    async def _exists(_: Request, exc: AlreadyExists) -> JSONResponse:
        return problem(409, "Already exists", str(exc))

    @app.exception_handler(VersionConflict)
    async def _conflict(_: Request, exc: VersionConflict) -> JSONResponse:
        return problem(
            409,
            "Version conflict",
            str(exc),
            currentVersion=exc.current,
            expectedVersion=exc.expected,
            changedFields=exc.changed_fields,
        )

    @app.exception_handler(DatabaseUnavailable)
    async def _unavailable(_: Request, exc: DatabaseUnavailable) -> JSONResponse:
        return problem(503, "Database unavailable", str(exc))

    @app.exception_handler(ModelplaneError)
    async def _other(_: Request, exc: ModelplaneError) -> JSONResponse:
        return problem(400, "Bad request", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"path": json_path(tuple(err["loc"])), "message": err["msg"]} for err in exc.errors()
        ]
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail), None)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response
