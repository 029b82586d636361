"""Errors as RFC 9457 problem details, each naming the offending fields by JSON path."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelplane.domain.errors import (
    AlreadyExists,
    ApprovalRequired,
    ConcurrentWrite,
    DatabaseUnavailable,
    FieldError,
    Forbidden,
    InvalidInput,
    ModelplaneError,
    NotAuthenticated,
    NotFound,
    RequestConflict,
    TokenExpired,
    VersionConflict,
    errors_json,
)
from modelplane.domain.validation import json_path

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER = "2"
"""Seconds a client should wait after a 503 (the watcher pings every second)."""


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


class BodyTooLarge(StarletteHTTPException):
    """A request body passed the server's limit (``api/body_limit.py``). An HTTP exception,
    so that FastAPI's body parsing lets it through rather than answering 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body may hold at most {limit} bytes")
        self.limit = limit


def body_too_large(limit: int) -> JSONResponse:
    response = problem(
        413,
        "Content too large",
        f"the request body may hold at most {limit:,} bytes",
        limit=limit,
    )
    response.headers["Connection"] = "close"  # the rest of the body is not read
    return response


def _request_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """FastAPI's errors with paths relative to the part at fault: ``query.limit``, and for
    the body the field's own path (``pricing.input``)."""
    errors: list[FieldError] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        if err["type"] == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "invalid JSON")
            at = f" at position {loc[1]}" if len(loc) > 1 else ""
            errors.append(FieldError("", f"not JSON: {reason}{at}"))
            continue
        if loc[:1] == ("body",):
            loc = loc[1:]
        errors.append(FieldError(json_path(loc), err["msg"]))
    return errors_json(errors)


def install(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, TokenExpired):
            extra["expiredAt"] = exc.expired_at.isoformat().replace("+00:00", "Z")
        response = problem(401, "Unauthorized", str(exc), **extra)
        response.headers["WWW-Authenticate"] = 'Bearer realm="modelplane"'
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(ConcurrentWrite)
    async def _concurrent(_: Request, exc: ConcurrentWrite) -> JSONResponse:
        # Two writers created the same thing at once; the loser gets told, not a 500.
        return problem(409, "Conflict", str(exc))

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return problem(422, "Invalid input", str(exc), errors=errors_json(exc.errors))

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

    @app.exception_handler(ApprovalRequired)
    async def _approval(_: Request, exc: ApprovalRequired) -> JSONResponse:
        extra = {"openWith": exc.open_with} if exc.open_with else {}
        return problem(409, "Approval required", str(exc), changeRequests=exc.link, **extra)

    @app.exception_handler(RequestConflict)
    async def _request_conflict(_: Request, exc: RequestConflict) -> JSONResponse:
        return problem(409, "Change request conflict", str(exc), fields=exc.fields)

    @app.exception_handler(DatabaseUnavailable)
    async def _unavailable(_: Request, exc: DatabaseUnavailable) -> JSONResponse:
        response = problem(503, "Database unavailable", str(exc))
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    @app.exception_handler(ModelplaneError)
    async def _other(_: Request, exc: ModelplaneError) -> JSONResponse:
        return problem(400, "Bad request", str(exc))

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return body_too_large(exc.limit)

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _request_errors(exc)
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        return problem(422, "Invalid input", detail, errors=errors)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "Internal server error", "the error was logged")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail), None)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response
