"""API tokens: random, shown once, stored as a hash, each with one role, optional scopes
(``domain/scopes.py``) and an optional expiry.

Why SHA-256 and not argon2: a token holds 256 random bits, so no one can guess it from its
hash however fast the hash is; a slow, salted password hash buys nothing here and would
make each request pay for it. An unsalted hash also lets a request find its token with one
indexed lookup.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Engine

from modelplane.domain.access import ROLES, Identity, Role, TokenSpec, allows, hash_token
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import (
    AlreadyExists,
    DatabaseUnavailable,
    Forbidden,
    ModelplaneError,
    NotAuthenticated,
    NotFound,
    TokenExpired,
    nearest,
)
from modelplane.domain.history import FieldChange
from modelplane.domain.scopes import TokenState
from modelplane.services import audit
from modelplane.store.auth_repositories import TokenRecord, TokenRepository
from modelplane.store.unit_of_work import UnitOfWork, UnitOfWorkFactory, translate_db_errors

TOKEN_PREFIX = "mp_"
_TOUCH_EVERY = timedelta(minutes=1)

__all__ = [
    "ROLES",
    "Forbidden",
    "Identity",
    "NotAuthenticated",
    "Role",
    "TokenSpec",
    "allows",
    "authenticate",
    "create_token",
    "hash_token",
    "list_tokens",
    "revoke_token",
    "token_json",
    "token_state",
]


def create_token(
    uows: UnitOfWorkFactory,
    spec: TokenSpec,
    author: str,
    within: frozenset[str] | None = None,
) -> tuple[TokenRecord, str]:
    """A new token; the second value is the token itself, which is never stored.

    ``within`` is the creating token's scopes: a scoped token may only create tokens
    limited to scopes it holds itself, so that scopes cannot be widened by minting."""
    _check_within(spec, within)
    with uows() as uow:
        repo = TokenRepository(uow.connection)
        if repo.get(spec.name) is not None:
            raise AlreadyExists("token", spec.name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(
            spec.name, spec.role, utcnow(), author, None, None, spec.scopes, spec.expiry()
        )
        repo.add(record, hash_token(token))
        uow.touch("token", spec.name)  # live snapshots learn of it
        changes = [FieldChange(field="role", old=None, new=spec.role)]
        if record.scopes:
            changes.append(FieldChange(field="scopes", old=None, new=list(record.scopes)))
        if record.expires_at:
            changes.append(FieldChange(field="expiresAt", old=None, new=_iso(record.expires_at)))
        audit.record(uow, "token", spec.name, "created", author, None, changes)
        uow.commit()
    return record, token


def _check_within(spec: TokenSpec, within: frozenset[str] | None) -> None:
    if within is None:
        return
    held = ", ".join(sorted(within))
    if spec.scopes is None:
        raise Forbidden(f"a token limited to scopes ({held}) may only create scoped tokens")
    wider = [s for s in spec.scopes if s not in within]
    if wider:
        raise Forbidden(f"this token holds only {held}; it cannot grant {', '.join(wider)}")


def list_tokens(uows: UnitOfWorkFactory) -> list[TokenRecord]:
    with uows(read_only=True) as uow:
        return TokenRepository(uow.connection).all()


def revoke_token(
    uows: UnitOfWorkFactory, name: str, author: str | None = None, reason: str | None = None
) -> TokenRecord:
    with uows() as uow:
        repo = TokenRepository(uow.connection)
        record = repo.get(name)
        if record is None:
            raise NotFound("token", name, nearest(name, [r.name for r in repo.all()]))
        if not record.active:
            raise NotFound("active token", name)
        at = utcnow()
        repo.revoke(name, at)
        uow.touch("token", name)  # every process stops accepting it within milliseconds
        audit.record(uow, "token", name, "revoked", author, reason)
        uow.commit()
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
            with translate_db_errors(engine), engine.connect() as conn:
                record = TokenRepository(conn).by_hash(digest)
        except DatabaseUnavailable:
            if known is not None:  # the snapshot is the word while the database is away
                raise NotAuthenticated("unknown or revoked token") from None
            raise
    if record is None or not record.active:
        raise NotAuthenticated("unknown or revoked token")
    if record.expires_at is not None and record.expired(utcnow()):
        raise TokenExpired(record.name, record.expires_at)
    if due_for_note(engine, record.name):
        (note_use or (lambda name: note_uses(engine, [name])))(record.name)
    scopes = frozenset(record.scopes) if record.scopes else None
    return Identity(record.name, record.role, scopes)


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
    except ModelplaneError:
        pass


def token_state(record: TokenRecord, now: datetime | None = None) -> TokenState:
    if not record.active:
        return "revoked"
    return "expired" if record.expired(now or utcnow()) else "active"


def token_json(record: TokenRecord) -> dict[str, object]:
    """``scopes`` null: limited by its role alone; ``expiresAt`` null: never expires.
    ``active`` is false once revoked or expired; ``state`` says which."""
    state = token_state(record)
    return {
        "name": record.name,
        "role": record.role,
        "scopes": list(record.scopes) if record.scopes else None,
        "createdAt": _iso(record.created_at),
        "createdBy": record.created_by,
        "expiresAt": _iso(record.expires_at),
        "lastUsedAt": _iso(record.last_used_at),
        "revokedAt": _iso(record.revoked_at),
        "state": state,
        "expired": state == "expired",
        "active": state == "active",
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
