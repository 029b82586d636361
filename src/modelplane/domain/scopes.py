"""What an API token's scopes are, which scope each API route needs, and token expiry.

A token may carry scopes: then it may call only the routes whose scope it holds, and its
role still decides the rest (a scope never grants more than the role). A token without
scopes is limited by its role alone, as every token was before scopes existed.

Which scope a route needs is worked out here, once, from its method and path template:

- every ``GET`` needs ``read``;
- ``POST /api/v1/route`` needs ``route``; usage and feedback need ``ingest``; a replay, which
  writes nothing, needs ``read``;
- any other write needs ``write:<kind>``, the kind named by the longest entry of
  ``WRITE_KINDS`` that starts its path (``/api/v1/models/{model_id:path}/prices`` →
  ``write:model``).

A write under a path this table does not know needs a scope no token can hold, so a new
route group is closed to scoped tokens until it is named here (and the API's route test
fails until it is).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypeAlias

READ = "read"
ROUTE = "route"
INGEST = "ingest"

WRITE_KINDS: dict[str, str] = {
    "/api/v1/models": "model",
    "/api/v1/providers": "provider",
    "/api/v1/router/config": "router_config",
    "/api/v1/router/profiles": "profile",
    "/api/v1/import": "import",
    "/api/v1/sync": "sync",
    "/api/v1/flags": "flag",
    "/api/v1/experiments": "experiment",
    "/api/v1/guard": "guard",
    "/api/v1/change-requests": "change_request",
    "/api/v1/approval-policies": "change_request",
    "/api/v1/webhooks": "webhook",
    "/api/v1/tokens": "token",
    "/api/v1/users": "user",
}
"""A write's path prefix → the kind its ``write:<kind>`` scope names."""

_SPECIAL: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/route"): ROUTE,
    ("POST", "/api/v1/usage"): INGEST,
    ("POST", "/api/v1/feedback"): INGEST,
    ("POST", "/api/v1/router/replay"): READ,  # it routes and compares; it writes nothing
}

SCOPE_ROLES: dict[str, tuple[str, ...]] = {
    READ: ("viewer", "editor", "admin"),
    ROUTE: ("viewer", "editor", "admin", "ingest"),
    INGEST: ("ingest", "editor", "admin"),
    "write:change_request": ("viewer", "editor", "admin"),
    **{
        f"write:{kind}": ("editor", "admin")
        for kind in ("model", "provider", "router_config", "profile", "import", "flag")
    },
    "write:experiment": ("editor", "admin"),
    **{f"write:{kind}": ("admin",) for kind in ("sync", "guard", "webhook", "token", "user")},
}
"""Every scope, and the roles that can use it: a scope outside its role's reach would grant
nothing, so a token is not created with one."""

SCOPES: tuple[str, ...] = tuple(SCOPE_ROLES)

SCOPE_HELP: dict[str, str] = {
    READ: "every GET: history, exports, analytics, lists (and catalogue reads when they "
    "need a token), and the router replay, which writes nothing",
    ROUTE: "POST /api/v1/route",
    INGEST: "POST /api/v1/usage and /api/v1/feedback",
    **{f"write:{kind}": f"writes under {prefix}" for prefix, kind in WRITE_KINDS.items()},
    "write:change_request": "writes under /api/v1/change-requests and /api/v1/approval-policies",
}

Scope: TypeAlias = str
NO_SCOPE = "(none: this route is not in domain/scopes.py)"


def needed_scope(method: str, path: str) -> Scope:
    """The scope a call needs: ``needed_scope("PATCH", "/api/v1/flags/{name}") ->
    "write:flag"``; ``needed_scope("GET", "/api/v1/audit") -> "read"``. A write under an
    unknown path needs ``NO_SCOPE``, which no token holds."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return READ
    special = _SPECIAL.get((method, path))
    if special is not None:
        return special
    best = max(
        (p for p in WRITE_KINDS if path == p or path.startswith(p + "/")), key=len, default=None
    )
    return f"write:{WRITE_KINDS[best]}" if best is not None else NO_SCOPE


def grants(scopes: frozenset[str] | None, needed: Scope) -> bool:
    """``None`` (an unscoped token) grants whatever its role allows."""
    return scopes is None or needed in scopes


def scope_problem(scope: str, role: str | None) -> str | None:
    """Why a token of ``role`` may not hold ``scope``, or ``None``."""
    roles = SCOPE_ROLES.get(scope)
    if roles is None:
        return f"unknown scope {scope!r}; the scopes are {', '.join(SCOPES)}"
    if role is not None and role not in roles:
        return f"{scope!r} is for {' or '.join(roles)} tokens; a {role} token could not use it"
    return None


_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_LIFETIME = timedelta(days=3660)


def is_duration(value: str) -> bool:
    """``"30d"``, ``"12h"``, ``"90m"``, ``"2w"``: a lifetime rather than a moment."""
    return _DURATION.match(value.strip()) is not None


def parse_duration(value: str) -> timedelta:
    """``parse_duration("30d") -> timedelta(days=30)``; a ValueError says what is wrong."""
    match = _DURATION.match(value.strip())
    if match is None:
        raise ValueError(
            f"{value!r} is not a duration: a whole number and a unit, m, h, d or w (e.g. 30d)"
        )
    amount = int(match.group(1))
    if amount == 0:
        raise ValueError("must be longer than nothing (e.g. 30d)")
    lifetime = timedelta(**{_UNITS[match.group(2)]: amount})
    if lifetime > MAX_LIFETIME:
        raise ValueError("must be at most about ten years (3660d)")
    return lifetime


def parse_moment(value: object) -> datetime:
    """An ISO 8601 moment (``2027-01-01T00:00:00Z``) or a date (``2027-01-01``: its start,
    UTC); a moment without an offset is read as UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{value!r} is not a moment: give ISO 8601, e.g. 2027-01-01T00:00:00Z or 2027-01-01"
            ) from None
    else:
        raise ValueError("must be an ISO 8601 moment such as 2027-01-01T00:00:00Z")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


TokenState: TypeAlias = Literal["active", "expired", "revoked"]


__all__ = [
    "INGEST",
    "MAX_LIFETIME",
    "NO_SCOPE",
    "READ",
    "ROUTE",
    "SCOPES",
    "SCOPE_HELP",
    "SCOPE_ROLES",
    "WRITE_KINDS",
    "Scope",
    "TokenState",
    "grants",
    "is_duration",
    "needed_scope",
    "parse_duration",
    "parse_moment",
    "scope_problem",
]
