"""Who may do what: token and console-user shapes, roles and their order.

Roles: viewer < editor < admin. ``ingest`` (tokens only) is outside the order: it may only
send usage. Console users have the token roles without ``ingest``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Field, ValidationInfo, field_validator

from modelplane.domain.base import DomainModel
from modelplane.domain.clock import utcnow
from modelplane.domain.scopes import SCOPES, parse_duration, parse_moment, scope_problem

Role: TypeAlias = Literal["admin", "editor", "viewer", "ingest"]
ROLES: tuple[Role, ...] = ("admin", "editor", "viewer", "ingest")
UserRole: TypeAlias = Literal["admin", "editor", "viewer"]
USER_ROLES: tuple[UserRole, ...] = ("admin", "editor", "viewer")
ROLE_ORDER: dict[str, int] = {"viewer": 1, "editor": 2, "admin": 3}
"""viewer < editor < admin. ``ingest`` is outside the order: it may only send usage."""

MIN_PASSWORD = 10
MAX_PASSWORD = 1000

_NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"
Password = Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]


def allows(role: str, needed: str) -> bool:
    """``allows("admin", "editor") -> True``; ``allows("ingest", "viewer") -> False``."""
    if role == needed:
        return True
    return ROLE_ORDER.get(role, 0) >= ROLE_ORDER.get(needed, 99)


def hash_token(token: str) -> str:
    """A token's stored form. SHA-256, not argon2: a token holds 256 random bits, so its
    hash cannot be guessed however fast the hash is, and one indexed lookup finds it."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenSpec(DomainModel):
    """A token to create: its name, role, optional scopes (``domain/scopes.py``; none or an
    empty list: the role alone decides) and optional expiry, as a moment (``expiresAt``) or
    a lifetime from now (``expiresIn``, e.g. ``30d``)."""

    name: Annotated[str, Field(pattern=_NAME, max_length=100)]
    role: Role
    scopes: tuple[str, ...] | None = Field(default=None, max_length=len(SCOPES))
    expires_at: datetime | None = None
    expires_in: timedelta | None = None

    @field_validator("scopes", mode="after")
    @classmethod
    def _known_scopes(cls, value: tuple[str, ...] | None, info: ValidationInfo) -> Any:
        if not value:
            return None
        problems = [p for s in value if (p := scope_problem(s, info.data.get("role")))]
        if problems:
            raise ValueError("; ".join(problems))
        return tuple(dict.fromkeys(value))

    @field_validator("expires_at", mode="before")
    @classmethod
    def _future_moment(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        moment = parse_moment(value)
        if moment <= utcnow():
            raise ValueError(f"{_iso(moment)} is in the past; a token must expire later")
        return moment

    @field_validator("expires_in", mode="before")
    @classmethod
    def _lifetime(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or value == "":
            return None
        if info.data.get("expires_at") is not None:
            raise ValueError("give expiresAt or expiresIn, not both")
        if not isinstance(value, str):
            raise ValueError("must be a duration such as 30d, 12h, 90m or 2w")
        return parse_duration(value)

    def expiry(self) -> datetime | None:
        """When the token stops working: ``expiresAt``, or now plus ``expiresIn``."""
        if self.expires_in is not None:
            return utcnow() + self.expires_in
        return self.expires_at


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Identity:
    """Who sent a request: the token's name (recorded as author of writes), its role and
    its scopes (``None``: not limited by scope)."""

    name: str
    role: str
    scopes: frozenset[str] | None = None


class UserSpec(DomainModel):
    model_config = DomainModel.model_config | {"str_strip_whitespace": False}

    username: Annotated[str, Field(pattern=_NAME, max_length=100)]
    role: UserRole
    password: Password


class PasswordChange(DomainModel):
    model_config = DomainModel.model_config | {"str_strip_whitespace": False}

    password: Password


@dataclass(frozen=True)
class User:
    """A user as the faces see one: everything but the password hash."""

    username: str
    role: str
    created_at: datetime
    created_by: str
    disabled: bool
