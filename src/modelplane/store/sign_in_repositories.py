"""Rows of ``console_sessions`` and ``sign_in_strikes`` in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from modelplane.store import tables as t


def _insert(conn: Connection) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT DO NOTHING``."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


class RevokedSessionRepository:
    """Signed-out sessions by the hash of their id."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, id_hash: str, username: str, revoked_at: datetime, expires_at: datetime) -> None:
        """Record a sign-out (a second one of the same session changes nothing)."""
        values = {
            "id_hash": id_hash,
            "username": username,
            "revoked_at": revoked_at,
            "expires_at": expires_at,
        }
        query = _insert(self._conn)(t.revoked_sessions).values(values)
        self._conn.execute(query.on_conflict_do_nothing())

    def is_revoked(self, id_hash: str) -> bool:
        c = t.revoked_sessions.c
        return self._conn.execute(select(c.id_hash).where(c.id_hash == id_hash)).first() is not None

    def remove_expired(self, now: datetime) -> int:
        c = t.revoked_sessions.c
        return self._conn.execute(delete(t.revoked_sessions).where(c.expires_at <= now)).rowcount


@dataclass
class Strikes:
    """One limiter key's failures in its current window and the lockouts it has earned."""

    key: str
    failures: int
    window_start: float
    lockouts: int
    locked_until: float
    expires_at: float


class SignInStrikeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def get(self, keys: list[str], for_update: bool = False) -> dict[str, Strikes]:
        """The rows of ``keys`` that exist; ``for_update`` locks them (PostgreSQL) until the
        transaction ends, so two processes' failures for one key are counted one after the
        other. (On SQLite a writing transaction holds the database's write lock anyway.)"""
        c = t.sign_in_strikes.c
        query = select(t.sign_in_strikes).where(c.key.in_(keys)).order_by(c.key)
        if for_update:
            query = query.with_for_update()
        return {
            row.key: Strikes(
                row.key,
                row.failures,
                row.window_start,
                row.lockouts,
                row.locked_until,
                row.expires_at,
            )
            for row in self._conn.execute(query)
        }

    def ensure(self, keys: list[str], now: float) -> None:
        """Make an empty row for each of ``keys`` that has none, so that they can be locked
        (two processes making the same row at once: the second does nothing)."""
        rows = [
            {
                "key": key,
                "failures": 0,
                "window_start": now,
                "lockouts": 0,
                "locked_until": 0.0,
                "expires_at": now,
            }
            for key in keys
        ]
        query = _insert(self._conn)(t.sign_in_strikes).values(rows)
        self._conn.execute(query.on_conflict_do_nothing())

    def put(self, strikes: Strikes) -> None:
        values = {
            "failures": strikes.failures,
            "window_start": strikes.window_start,
            "lockouts": strikes.lockouts,
            "locked_until": strikes.locked_until,
            "expires_at": strikes.expires_at,
        }
        c = t.sign_in_strikes.c
        self._conn.execute(update(t.sign_in_strikes).where(c.key == strikes.key).values(values))

    def remove(self, key: str) -> None:
        self._conn.execute(delete(t.sign_in_strikes).where(t.sign_in_strikes.c.key == key))

    def remove_expired(self, now: float) -> int:
        c = t.sign_in_strikes.c
        return self._conn.execute(delete(t.sign_in_strikes).where(c.expires_at <= now)).rowcount

    def count(self) -> int:
        return len(self._conn.execute(select(t.sign_in_strikes.c.key)).all())


__all__ = ["RevokedSessionRepository", "SignInStrikeRepository", "Strikes"]
