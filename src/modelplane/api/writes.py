"""What every write route shares: its transaction, and the version it was based on.

A write that changes an existing document must say which version it read, with
``If-Match: "<version>"`` (the ETag of a GET) or an ``expectedVersion`` body field. Without
either the answer is 428 Precondition Required: no write may silently overwrite another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, HTTPException, Request, Response
from fastapi.security import HTTPBearer

from modelplane.api.deps import current_token
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.validation import MAX_REASON, validate_reason
from modelplane.services import versioned

T = TypeVar("T")
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')

__all__ = ["MAX_REASON", "VERSION_RULES", "WriteMeta", "WriteMetaDep", "etag", "set_etag"]

VERSION_RULES = (
    "Writes to an existing document must carry the version they were based on: "
    '`If-Match: "<version>"` (the `ETag` of a GET) or an `expectedVersion` field. '
    "Without either the answer is 428; when the document has moved on, 409 with "
    "`currentVersion` and `changedFields`. An optional `reason` lands in the history."
)


@dataclass(frozen=True)
class WriteMeta:
    """What a write says about itself besides its document: the version it was based on
    (``If-Match`` or ``expectedVersion``; both must agree) and its reason."""

    version: int | None
    reason: str | None

    @property
    def expected(self) -> int:
        """The version the write was based on; 428 Precondition Required when it gave none."""
        if self.version is None:
            raise HTTPException(
                428, "Precondition required: send If-Match with the ETag, or expectedVersion"
            )
        return self.version


_EMERGENCY_HEADER = Header(
    alias="X-Emergency-Override",
    description="Admins only: why this write skips its kind's approval policy.",
)


async def write_meta(
    request: Request,
    if_match: Annotated[
        str | None, Header(alias="If-Match", description="The ETag of a GET.")
    ] = None,
    emergency: Annotated[str | None, _EMERGENCY_HEADER] = None,
) -> WriteMeta:
    """The one reading of a write's ``If-Match``, ``expectedVersion`` and ``reason``."""
    if emergency is not None:
        await _emergency(request, emergency)
    body = await _json_body(request)
    header = parse_if_match(if_match)
    sent = _body_version(body.get("expectedVersion"))
    if header is not None and sent is not None and header != sent:
        message = f"If-Match says {header}, expectedVersion says {sent}"
        raise InvalidInput([FieldError("expectedVersion", message)])
    return WriteMeta(header if header is not None else sent, validate_reason(body.get("reason")))


WriteMetaDep = Annotated[WriteMeta, Depends(write_meta)]


async def emergency_only(
    request: Request, emergency: Annotated[str | None, _EMERGENCY_HEADER] = None
) -> None:
    """``X-Emergency-Override`` alone, for a write whose body is not a document of ours (a
    sync's source)."""
    if emergency is not None:
        await _emergency(request, emergency)


EmergencyDep = Depends(emergency_only)


async def _emergency(request: Request, reason: str) -> None:
    """An admin's emergency override: this request's writes pass the approval policy."""
    credentials = await HTTPBearer(auto_error=False)(request)
    identity = await current_token(request, request.app.state.runtime, credentials)
    why = versioned.override_reason(identity.name, identity.role, reason, "X-Emergency-Override")
    versioned.emergency_override(why)


async def _json_body(request: Request) -> dict[str, Any]:
    # The body has been read (and cached) by the time dependencies run; what is not a JSON
    # object carries no version or reason, and the route's own body says what is wrong.
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


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
