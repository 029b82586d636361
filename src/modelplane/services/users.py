"""Console users: created by an admin (the first one from the CLI), each with one role and
an argon2-hashed password.

The hashes' argon2 cost is the operator's (``Settings.password_hashing``): every function
that hashes is handed it, and a stored hash made with other parameters is re-hashed at its
next sign-in.

Roles are the API tokens' roles without ``ingest``: viewer < editor < admin. The last active
admin can be neither disabled nor demoted, so the console can never lock everyone out.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from modelplane.domain.access import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    USER_ROLES,
    PasswordChange,
    User,
    UserRole,
    UserSpec,
)
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    AlreadyExists,
    FieldError,
    InvalidInput,
    NotFound,
    nearest,
)
from modelplane.domain.history import FieldChange
from modelplane.services import audit
from modelplane.settings import PasswordHashing
from modelplane.store.locks import RuleFamily
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory
from modelplane.store.user_repositories import UserRecord, UserRepository

log = logging.getLogger(__name__)


@cache
def _hasher(hashing: PasswordHashing) -> PasswordHasher:
    return PasswordHasher(
        time_cost=hashing.time_cost,
        memory_cost=hashing.memory_cost,
        parallelism=hashing.parallelism,
    )


@cache
def _dummy_hash(hashing: PasswordHashing) -> str:
    """Verified against when the user does not exist, so a wrong username takes as long as a
    wrong password and timing does not tell which usernames exist."""
    return _hasher(hashing).hash("not a password anyone has")


def _public(record: UserRecord) -> User:
    return User(record.username, record.role, record.created_at, record.created_by, record.disabled)


def user_json(user: User) -> dict[str, object]:
    """A user as every face answers it (never the password hash)."""
    return {
        "username": user.username,
        "role": user.role,
        "createdAt": user.created_at.isoformat().replace("+00:00", "Z"),
        "createdBy": user.created_by,
        "disabled": user.disabled,
    }


public_user = _public
"""A stored user without its hash (for ``services.sign_in``)."""


def create_user(
    uows: UnitOfWorkFactory,
    spec: UserSpec,
    author: str,
    reason: str | None = None,
    *,
    hashing: PasswordHashing,
) -> User:
    with uows() as uow:
        user = _create_in(uow, spec, author, hashing)
        audit.record(
            uow, "user", user.username, "created", author, reason, _role_change(None, spec.role)
        )
        uow.commit()
    return user


def _create_in(uow: UnitOfWork, spec: UserSpec, author: str, hashing: PasswordHashing) -> User:
    repo = UserRepository(uow.connection)
    if repo.get(spec.username) is not None:
        raise AlreadyExists("user", spec.username)
    record = UserRecord(
        username=spec.username,
        role=spec.role,
        password_hash=_hasher(hashing).hash(spec.password),
        created_at=utcnow(),
        created_by=author,
        disabled=False,
    )
    repo.add(record)
    return _public(record)


def list_users(uows: UnitOfWorkFactory) -> list[User]:
    with uows(read_only=True) as uow:
        return [_public(r) for r in UserRepository(uow.connection).all()]


def get_user(uows: UnitOfWorkFactory, username: str) -> User:
    with uows(read_only=True) as uow:
        return _public(_require(UserRepository(uow.connection), username))


@dataclass(frozen=True)
class SignIn:
    """A right password: the user, and a fresh hash to store when the stored one uses
    outdated argon2 parameters (``rehash``), with the hash it replaces."""

    user: User
    stored_hash: str
    rehash: str | None


def check_password(
    uows: UnitOfWorkFactory, username: str, password: str, *, hashing: PasswordHashing
) -> SignIn | None:
    """The sign-in if the password is right and the account enabled, else None. Only reads,
    so the slow argon2 check runs in a read-only transaction, holding no write lock."""
    hasher, dummy = _hasher(hashing), _dummy_hash(hashing)  # made at the first check
    with uows(read_only=True) as uow:
        record = UserRepository(uow.connection).get(username.strip())
    if not _verify(hasher, record.password_hash if record else dummy, password):
        return None
    if record is None or record.disabled:
        return None
    rehash = hasher.hash(password) if hasher.check_needs_rehash(record.password_hash) else None
    return SignIn(_public(record), record.password_hash, rehash)


def store_rehash(uows: UnitOfWorkFactory, sign_in: SignIn) -> None:
    """Store ``sign_in.rehash`` (in a short write) unless the password changed since it was
    checked (a new password wins over an upgraded old one)."""
    if sign_in.rehash is None:
        return
    with uows() as uow:
        UserRepository(uow.connection).set_hash_if(
            sign_in.user.username, sign_in.stored_hash, sign_in.rehash
        )
        uow.commit()


def authenticate(
    uows: UnitOfWorkFactory, username: str, password: str, *, hashing: PasswordHashing
) -> User | None:
    """``check_password`` (read-only), then ``store_rehash`` when the hash is outdated."""
    sign_in = check_password(uows, username, password, hashing=hashing)
    if sign_in is None:
        return None
    store_rehash(uows, sign_in)
    return sign_in.user


def set_role(
    uows: UnitOfWorkFactory,
    username: str,
    role: str,
    author: str | None = None,
    reason: str | None = None,
) -> User:
    if role not in USER_ROLES:
        raise InvalidInput([FieldError("role", f"must be one of {', '.join(USER_ROLES)}")])
    return _update(uows, username, author, reason, role=role)


def set_disabled(
    uows: UnitOfWorkFactory,
    username: str,
    disabled: bool,
    author: str | None = None,
    reason: str | None = None,
) -> User:
    return _update(uows, username, author, reason, disabled=disabled)


def set_password(
    uows: UnitOfWorkFactory,
    username: str,
    change: PasswordChange,
    author: str | None = None,
    reason: str | None = None,
    *,
    hashing: PasswordHashing,
) -> User:
    password_hash = _hasher(hashing).hash(change.password)
    return _update(uows, username, author, reason, password_hash=password_hash)


def _update(
    uows: UnitOfWorkFactory,
    username: str,
    author: str | None,
    reason: str | None,
    *,
    role: str | None = None,
    disabled: bool | None = None,
    password_hash: str | None = None,
) -> User:
    """Change what is given of one user, with its audit entry; the last active admin is
    neither demoted nor disabled."""
    values: dict[str, object] = {
        k: v
        for k, v in (("role", role), ("disabled", disabled), ("password_hash", password_hash))
        if v is not None
    }
    with uows() as uow:
        if role is not None or disabled:
            uow.lock(RuleFamily.ADMINS)  # before reading: two admins demoting each other queue
        repo = UserRepository(uow.connection)
        record = _require(repo, username)
        if record.role == "admin" and role not in (None, "admin"):
            _keep_an_admin(repo, record, "demote")
        if record.role == "admin" and disabled:
            _keep_an_admin(repo, record, "disable")
        repo.set(username, **values)
        user = _public(_require(repo, username))
        if role is not None:
            changes = _role_change(record.role, role)
            audit.record(uow, "user", username, "role_changed", author, reason, changes)
        if disabled is not None:
            changes = [FieldChange(field="disabled", old=record.disabled, new=disabled)]
            action = "disabled" if disabled else "enabled"
            audit.record(uow, "user", username, action, author, reason, changes)
        if password_hash is not None:
            audit.record(uow, "user", username, "password_reset", author, reason)
        uow.commit()
    return user


def _role_change(old: str | None, new: str) -> list[FieldChange]:
    return [FieldChange(field="role", old=old, new=new)] if old != new else []


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    """(A hash is checked with the parameters it carries, whatever ``hasher``'s.)"""
    try:
        return hasher.verify(password_hash, password)
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
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "USER_ROLES",
    "PasswordChange",
    "SignIn",
    "User",
    "UserRole",
    "UserSpec",
    "authenticate",
    "check_password",
    "create_user",
    "ensure_first_admin",
    "get_user",
    "list_users",
    "public_user",
    "set_disabled",
    "set_password",
    "set_role",
    "store_rehash",
    "user_json",
]


def ensure_first_admin(
    uows: UnitOfWorkFactory, author: str, *, hashing: PasswordHashing
) -> str | None:
    """On a database with no users, create ``admin`` with a random password and return the
    password (to be shown once); otherwise ``None``. For a first local start only."""
    with uows() as uow:
        if UserRepository(uow.connection).all():
            return None
        password = secrets.token_urlsafe(12)
        spec = UserSpec(username="admin", role="admin", password=password)
        _create_in(uow, spec, author, hashing)
        audit.record(
            uow, "user", "admin", "created", author, "first start", _role_change(None, "admin")
        )
        uow.commit()
    return password
