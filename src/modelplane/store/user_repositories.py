"""Rows of the ``users`` table in and out. Only argon2 hashes are stored, never passwords."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from modelplane.store import tables as t


@dataclass(frozen=True)
class UserRecord:
    """A console user as stored, hash included (it never leaves the services)."""

    username: str
    role: str
    password_hash: str
    created_at: datetime
    created_by: str
    disabled: bool


class UserRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, record: UserRecord) -> None:
        self._conn.execute(
            t.users.insert().values(
                username=record.username,
                role=record.role,
                password_hash=record.password_hash,
                created_at=record.created_at,
                created_by=record.created_by,
                disabled=record.disabled,
            )
        )

    def get(self, username: str) -> UserRecord | None:
        query = select(t.users).where(t.users.c.username == username)
        row = self._conn.execute(query).first()
        return _record(row) if row is not None else None

    def all(self) -> list[UserRecord]:
        rows = self._conn.execute(select(t.users).order_by(t.users.c.username))
        return [_record(r) for r in rows]

    def count_active_admins(self) -> int:
        c = t.users.c
        query = select(c.username).where(c.role == "admin", c.disabled.is_(False))
        return len(self._conn.execute(query).all())

    def set(self, username: str, **values: Any) -> bool:
        """Change ``role``, ``password_hash`` or ``disabled``; False when there is no such user."""
        result = self._conn.execute(
            update(t.users).where(t.users.c.username == username).values(**values)
        )
        return result.rowcount == 1

    def set_hash_if(self, username: str, current: str, new: str) -> bool:
        """Replace the password hash only while it is still ``current``."""
        c = t.users.c
        query = update(t.users).where(c.username == username, c.password_hash == current)
        return self._conn.execute(query.values(password_hash=new)).rowcount == 1


def _record(row: Any) -> UserRecord:
    return UserRecord(
        username=row.username,
        role=row.role,
        password_hash=row.password_hash,
        created_at=row.created_at,
        created_by=row.created_by,
        disabled=bool(row.disabled),
    )


__all__ = ["UserRecord", "UserRepository"]
