"""What every write route shares: its transaction, and the version it was based on.

A write that changes an existing document must say which version it read, with
``If-Match: "<version>"`` (the ETag of a GET) or an ``expectedVersion`` body field. Without
either the answer is 428 Precondition Required: no write may silently overwrite another.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Response

from modelplane.bootstrap import Runtime
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.store.unit_of_work import UnitOfWork

T = TypeVar("T")
MAX_REASON = 2000
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')

VERSION_RULES = (
    "Writes to an existing document must carry the version they were based on: "
    '`If-Match: "<version>"` (the `ETag` of a GET) or an `expectedVersion` field. '
    "Without either the answer is 428; when the document has moved on, 409 with "
    "`currentVersion` and `changedFields`. An optional `reason` lands in the history."
)


def write(runtime: Runtime, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in one transaction and commit it."""
    with runtime.unit_of_work() as uow:
        result = work(uow)
        uow.commit()
        return result


def read(runtime: Runtime, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in a transaction that is rolled back."""
    with runtime.unit_of_work(read_only=True) as uow:
        return work(uow)


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def parse_if_match(value: str | None) -> int | None:
    """``'"3"' -> 3``, ``'W/"3"' -> 3``, ``None -> None``."""
    if value is None:
        return None
    match = _ETAG.match(value.strip())
    if match is None:
        raise InvalidInput([FieldError("If-Match", 'expected one version ETag such as "3"')])
    return int(match.group(1))


def expected_version(if_match: str | None, body_version: Any = None) -> int:
    """The version a write is based on, from the header or the body; 428 when neither."""
    header = parse_if_match(if_match)
    body = _body_version(body_version)
    if header is not None and body is not None and header != body:
        message = f"If-Match says {header}, expectedVersion says {body}"
        raise InvalidInput([FieldError("expectedVersion", message)])
    version = header if header is not None else body
    if version is None:
        raise HTTPException(
            428, "Precondition required: send If-Match with the ETag, or expectedVersion"
        )
    return version


def write_meta(body: dict[str, Any]) -> tuple[dict[str, Any], Any, str | None]:
    """Split a write's body into the document, its ``expectedVersion`` and its ``reason``."""
    rest = {k: v for k, v in body.items() if k not in ("expectedVersion", "reason")}
    return rest, body.get("expectedVersion"), reason_of(body.get("reason"))


def reason_of(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_REASON:
        raise InvalidInput([FieldError("reason", f"must be text of at most {MAX_REASON} chars")])
    return value.strip() or None


def _body_version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**9:
        raise InvalidInput([FieldError("expectedVersion", "must be a version number (>= 0)")])
    return value


API_DESCRIPTION = f"""
**Authentication.** Send `Authorization: Bearer <token>` (create one with
`modelplane tokens create`). Roles: `viewer` reads history and exports, `editor` also
writes models, providers, profiles and router config, `admin` also manages tokens. Catalogue
reads (`/v1/models`, `GET /api/v1/models…`, `GET /api/v1/providers`, `GET /api/v1/router/…`
except history) need no token unless the server sets `MODELPLANE_PUBLIC_READS_REQUIRE_TOKEN`.
A missing, unknown or revoked token gets 401; too weak a role, 403.

**Versions.** {VERSION_RULES} Every write records the token's name as its author.

**Errors** are RFC 9457 problem details (`application/problem+json`); invalid input lists
each problem under `errors` with the JSON path of the field at fault.
"""
