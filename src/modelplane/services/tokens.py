"""API tokens: random, shown once, stored as a hash, each with one role.

Why SHA-256 and not argon2: a token holds 256 random bits, so no one can guess it from its
hash however fast the hash is; a slow, salted password hash buys nothing here and would
make each request pay for it. An unsalted hash also lets a request find its token with one
indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Literal, TypeAlias

from pydantic import Field
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from modelplane.domain.base import DomainModel
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    AlreadyExists,
    DatabaseUnavailable,
    ModelplaneError,
    NotFound,
    nearest,
)
from modelplane.store.auth_repositories import TokenRecord, TokenRepository
from modelplane.store.database import describe_failure
from modelplane.store.unit_of_work import UnitOfWork

Role: TypeAlias = Literal["admin", "editor", "viewer", "ingest"]
ROLES: tuple[Role, ...] = ("admin", "editor", "viewer", "ingest")
_RANK: dict[str, int] = {"viewer": 1, "editor": 2, "admin": 3}
"""viewer < editor < admin. ``ingest`` is outside the order: it may only send usage."""

TOKEN_PREFIX = "mp_"
_TOUCH_EVERY = timedelta(minutes=1)


class NotAuthenticated(ModelplaneError):
    """No token, or one that is unknown or revoked."""


class Forbidden(ModelplaneError):
    """A valid token whose role is too weak for the request."""


class TokenSpec(DomainModel):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$", max_length=100)]
    role: Role


@dataclass(frozen=True)
class Identity:
    """Who sent a request: the token's name (recorded as author of writes) and role."""

    name: str
    role: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def allows(role: str, needed: str) -> bool:
    """``allows("admin", "editor") -> True``; ``allows("ingest", "viewer") -> False``."""
    if role == needed:
        return True
    return _RANK.get(role, 0) >= _RANK.get(needed, 99)


def create_token(uow: UnitOfWork, spec: TokenSpec, author: str) -> tuple[TokenRecord, str]:
    """A new token; the second value is the token itself, which is never stored."""
    repo = TokenRepository(uow.connection)
    if repo.get(spec.name) is not None:
        raise AlreadyExists("token", spec.name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = TokenRecord(spec.name, spec.role, utcnow(), author, None, None)
    repo.add(record, hash_token(token))
    uow.touch("token", spec.name)  # live snapshots learn of it
    return record, token


def list_tokens(uow: UnitOfWork) -> list[TokenRecord]:
    return TokenRepository(uow.connection).all()


def revoke_token(uow: UnitOfWork, name: str) -> TokenRecord:
    repo = TokenRepository(uow.connection)
    record = repo.get(name)
    if record is None:
        raise NotFound("token", name, nearest(name, [r.name for r in repo.all()]))
    if not record.active:
        raise NotFound("active token", name)
    at = utcnow()
    repo.revoke(name, at)
    uow.touch("token", name)  # every process stops accepting it within milliseconds
    return replace(record, revoked_at=at)


def authenticate(
    engine: Engine,
    token: str,
    known: Mapping[str, TokenRecord] | None = None,
    note_use: Callable[[str], None] | None = None,
) -> Identity:
    """The identity behind ``token``.

    ``known`` (a live snapshot's active tokens by hash) answers without the database, so
    authenticated requests go on while it is down; a token the snapshot does not know yet
    (created a moment ago elsewhere) is looked up in the database. Each token's use is
    noted at most once a minute per process, best effort, by ``note_use`` (the server queues
    it for a background writer, so a request never waits on the database's write lock).
    """
    digest = hash_token(token.strip())
    record = known.get(digest) if known is not None else None
    if record is None:
        try:
            with engine.connect() as conn:
                record = TokenRepository(conn).by_hash(digest)
        except OperationalError as exc:
            if known is not None:  # the snapshot is the word while the database is away
                raise NotAuthenticated("unknown or revoked token") from None
            url = engine.url.render_as_string(hide_password=False)
            raise DatabaseUnavailable(describe_failure(url, exc)) from None
    if record is None or not record.active:
        raise NotAuthenticated("unknown or revoked token")
    if due_for_note(engine, record.name):
        (note_use or (lambda name: note_uses(engine, [name])))(record.name)
    return Identity(record.name, record.role)


_last_noted: dict[tuple[int, str], float] = {}


def due_for_note(engine: Engine, name: str) -> bool:
    """True at most once a minute per token and process."""
    key = (id(engine), name)
    now = time.monotonic()
    if now - _last_noted.get(key, -_TOUCH_EVERY.total_seconds()) < _TOUCH_EVERY.total_seconds():
        return False
    _last_noted[key] = now
    return True


def note_uses(engine: Engine, names: Sequence[str]) -> None:
    """Record that these tokens were used now; a failure is not worth failing a request."""
    try:
        with UnitOfWork(engine) as uow:
            repo = TokenRepository(uow.connection)
            for name in dict.fromkeys(names):
                repo.touch(name, utcnow())
            uow.commit()
    except (DatabaseUnavailable, SQLAlchemyError):
        pass


def token_json(record: TokenRecord) -> dict[str, object]:
    return {
        "name": record.name,
        "role": record.role,
        "createdAt": _iso(record.created_at),
        "createdBy": record.created_by,
        "lastUsedAt": _iso(record.last_used_at),
        "revokedAt": _iso(record.revoked_at),
        "active": record.active,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
