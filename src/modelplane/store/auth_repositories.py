"""Rows of the ``api_tokens`` table in and out. Only hashes are stored, never tokens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from modelplane.store import tables as t


@dataclass(frozen=True)
class TokenRecord:
    """An API token as stored: everything but the token itself."""

    name: str
    role: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: tuple[str, ...] | None = None
    """``None``: limited by its role alone."""
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked (an expired token is still active in this sense: see ``expired``)."""
        return self.revoked_at is None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class TokenRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: TokenRecord, token_hash: str) -> None:
        self._conn.execute(
            t.api_tokens.insert().values(
                name=record.name,
                role=record.role,
                token_hash=token_hash,
                created_at=record.created_at,
                created_by=record.created_by,
                scopes=" ".join(record.scopes) if record.scopes else None,
                expires_at=record.expires_at,
            )
        )

    def get(self, name: str) -> TokenRecord | None:
        row = self._conn.execute(select(t.api_tokens).where(t.api_tokens.c.name == name)).first()
        return _record(row) if row is not None else None

    def by_hash(self, token_hash: str) -> TokenRecord | None:
        query = select(t.api_tokens).where(t.api_tokens.c.token_hash == token_hash)
        row = self._conn.execute(query).first()
        return _record(row) if row is not None else None

    def all(self) -> list[TokenRecord]:
        rows = self._conn.execute(select(t.api_tokens).order_by(t.api_tokens.c.name))
        return [_record(r) for r in rows]

    def active_by_hash(self) -> dict[str, TokenRecord]:
        """Every active token keyed by its hash: what a snapshot authenticates against."""
        c = t.api_tokens.c
        rows = self._conn.execute(select(t.api_tokens).where(c.revoked_at.is_(None)))
        return {r.token_hash: _record(r) for r in rows}

    def revoke(self, name: str, at: datetime) -> bool:
        """Mark the token revoked; False when there is no active token of that name."""
        c = t.api_tokens.c
        result = self._conn.execute(
            update(t.api_tokens).where(c.name == name, c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return result.rowcount == 1

    def touch(self, name: str, at: datetime) -> None:
        c = t.api_tokens.c
        self._conn.execute(update(t.api_tokens).where(c.name == name).values(last_used_at=at))


def _record(row: Any) -> TokenRecord:
    return TokenRecord(
        name=row.name,
        role=row.role,
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        scopes=tuple(row.scopes.split()) if row.scopes else None,
        expires_at=row.expires_at,
    )


__all__ = ["TokenRecord", "TokenRepository"]


def touch_tokens(conn: Connection, names: Sequence[str]) -> None:
    """Mark these tokens used now (a batch from the background writer)."""
    now = datetime.now(UTC)
    c = t.api_tokens.c
    for name in dict.fromkeys(names):
        conn.execute(update(t.api_tokens).where(c.name == name).values(last_used_at=now))
