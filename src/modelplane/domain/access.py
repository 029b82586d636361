"""Who may do what: token and console-user shapes, roles and their order.

Roles: viewer < editor < admin. ``ingest`` (tokens only) is outside the order: it may only
send usage. Console users have the token roles without ``ingest``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from modelplane.domain.base import DomainModel

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
    name: Annotated[str, Field(pattern=_NAME, max_length=100)]
    role: Role


@dataclass(frozen=True)
class Identity:
    """Who sent a request: the token's name (recorded as author of writes) and role."""

    name: str
    role: str


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
