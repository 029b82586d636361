"""Console users: created by an admin (the first one from the CLI), each with one role and
an argon2-hashed password.

Roles are the API tokens' roles without ``ingest``: viewer < editor < admin. The last active
admin can be neither disabled nor demoted, so the console can never lock everyone out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, TypeAlias

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from modelplane.catalog._base import DomainModel
from modelplane.catalog.errors import (
    AlreadyExists,
    DatabaseUnavailable,
    FieldError,
    InvalidInput,
    NotFound,
    nearest,
)
from modelplane.store.database import describe_failure
from modelplane.store.unit_of_work import UnitOfWork, utcnow
from modelplane.store.user_repositories import UserRecord, UserRepository

UserRole: TypeAlias = Literal["admin", "editor", "viewer"]
USER_ROLES: tuple[UserRole, ...] = ("admin", "editor", "viewer")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")
"""Verified against when the user does not exist, so a wrong username takes as long as a
wrong password and timing does not tell which usernames exist."""

Password = Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]


class UserSpec(DomainModel):
    model_config = DomainModel.model_config | {"str_strip_whitespace": False}

    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$", max_length=100)]
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


def _public(record: UserRecord) -> User:
    return User(record.username, record.role, record.created_at, record.created_by, record.disabled)


def create_user(uow: UnitOfWork, spec: UserSpec, author: str) -> User:
    repo = UserRepository(uow.connection)
    if repo.get(spec.username) is not None:
        raise AlreadyExists("user", spec.username)
    record = UserRecord(
        username=spec.username,
        role=spec.role,
        password_hash=_hasher.hash(spec.password),
        created_at=utcnow(),
        created_by=author,
        disabled=False,
    )
    repo.add(record)
    return _public(record)


def list_users(uow: UnitOfWork) -> list[User]:
    return [_public(r) for r in UserRepository(uow.connection).all()]


def get_user(uow: UnitOfWork, username: str) -> User:
    return _public(_require(UserRepository(uow.connection), username))


@dataclass(frozen=True)
class SignIn:
    """A right password: the user, and a fresh hash to store when the stored one uses
    outdated argon2 parameters (``rehash``), with the hash it replaces."""

    user: User
    stored_hash: str
    rehash: str | None


def check_password(uow: UnitOfWork, username: str, password: str) -> SignIn | None:
    """The sign-in if the password is right and the account enabled, else None. Only reads,
    so the slow argon2 check can run in a read-only transaction, holding no write lock."""
    record = UserRepository(uow.connection).get(username.strip())
    if not _verify(record.password_hash if record else _DUMMY_HASH, password):
        return None
    if record is None or record.disabled:
        return None
    rehash = _hasher.hash(password) if _hasher.check_needs_rehash(record.password_hash) else None
    return SignIn(_public(record), record.password_hash, rehash)


def store_rehash(uow: UnitOfWork, sign_in: SignIn) -> None:
    """Store ``sign_in.rehash`` unless the password changed since it was checked (a new
    password wins over an upgraded old one). The caller commits."""
    if sign_in.rehash is not None:
        UserRepository(uow.connection).set_hash_if(
            sign_in.user.username, sign_in.stored_hash, sign_in.rehash
        )


def authenticate(uow: UnitOfWork, username: str, password: str) -> User | None:
    """``check_password`` and ``store_rehash`` in the caller's transaction (the caller
    commits). For callers already writing; a sign-in page should check read-only first."""
    sign_in = check_password(uow, username, password)
    if sign_in is None:
        return None
    store_rehash(uow, sign_in)
    return sign_in.user


def session_user(engine: Engine, username: str) -> tuple[User, str] | None:
    """The enabled user named by a session, with a fingerprint of their password hash
    that changes whenever the password does (so that sessions signed with the old one
    end). Read without taking the write lock: every console request asks."""
    try:
        with engine.connect() as conn:
            record = UserRepository(conn).get(username)
    except OperationalError as exc:
        url = engine.url.render_as_string(hide_password=False)
        raise DatabaseUnavailable(describe_failure(url, exc)) from None
    if record is None or record.disabled:
        return None
    return _public(record), record.password_hash.rsplit("$", 2)[-2]


def set_role(uow: UnitOfWork, username: str, role: str) -> User:
    if role not in USER_ROLES:
        raise InvalidInput([FieldError("role", f"must be one of {', '.join(USER_ROLES)}")])
    repo = UserRepository(uow.connection)
    record = _require(repo, username)
    if record.role == "admin" and role != "admin":
        _keep_an_admin(repo, record, "demote")
    repo.set(username, role=role)
    return get_user(uow, username)


def set_disabled(uow: UnitOfWork, username: str, disabled: bool) -> User:
    repo = UserRepository(uow.connection)
    record = _require(repo, username)
    if disabled and record.role == "admin":
        _keep_an_admin(repo, record, "disable")
    repo.set(username, disabled=disabled)
    return get_user(uow, username)


def set_password(uow: UnitOfWork, username: str, change: PasswordChange) -> User:
    repo = UserRepository(uow.connection)
    _require(repo, username)
    repo.set(username, password_hash=_hasher.hash(change.password))
    return get_user(uow, username)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _require(repo: UserRepository, username: str) -> UserRecord:
    record = repo.get(username)
    if record is None:
        raise NotFound("user", username, nearest(username, [r.username for r in repo.all()]))
    return record


def _keep_an_admin(repo: UserRepository, record: UserRecord, action: str) -> None:
    if not record.disabled and repo.count_active_admins() <= 1:
        message = f"cannot {action} {record.username!r}: the last active admin"
        raise InvalidInput([FieldError("role", message)])


__all__ = [
    "USER_ROLES",
    "PasswordChange",
    "SignIn",
    "User",
    "UserRole",
    "UserSpec",
    "authenticate",
    "check_password",
    "create_user",
    "get_user",
    "list_users",
    "session_user",
    "set_disabled",
    "set_password",
    "set_role",
    "store_rehash",
]


def ensure_first_admin(uow: UnitOfWork, author: str) -> str | None:
    """On a database with no users, create ``admin`` with a random password and return the
    password (to be shown once); otherwise ``None``. For a first local start only."""
    if list_users(uow):
        return None
    password = secrets.token_urlsafe(12)
    create_user(uow, UserSpec(username="admin", role="admin", password=password), author)
    return password
