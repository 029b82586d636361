"""Console sign-in: server-side sessions and the brute-force limiter, both in the database
so that every process sees the same ones.

Sessions: the signed cookie names a random session id. Signing out records a SHA-256 of
it (a stolen backup holds no usable session id) in ``revoked_sessions`` until the cookie
would have expired anyway, and every process checks that list on every request, so a copied
cookie is worthless after its sign-out everywhere. Signing in writes nothing (it works while
another transaction holds SQLite's write lock). A password change ends every session of the
user through the cookie's password fingerprint; disabling the account ends them too.

The limiter counts failures per client address and per username (case-insensitive):

- ``FAILURES`` failures from one address within ``WINDOW`` seconds lock that address out
  for 30 s, and each further failure locks it again for twice as long, up to
  ``MAX_LOCKOUT``. That is how a guesser is slowed: by where the guesses come from.
- ``FAILURES`` failures for one username, from anywhere, only delay its next attempt by
  ``USERNAME_DELAY`` seconds after each further failure, never longer: someone else's
  failures from other addresses can hold a known user up by a few seconds, but cannot lock
  them out. (Their own address's lock still applies to the guesser.)

A locked-out attempt is refused before the password is checked, so it costs no argon2 time
and does not count. A success clears the username's count (not the address's). A key is
forgotten once ``WINDOW`` seconds pass with no failure and no lock in force. Attempts already
past the check when a lock starts still run (and are not counted): a burst of parallel
guesses can exceed ``FAILURES`` by the number in flight, and no more.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from modelplane.domain.access import User
from modelplane.domain.clock import utcnow
from modelplane.domain.errors import SignInLocked
from modelplane.services.users import SignIn, public_user
from modelplane.store.sign_in_repositories import (
    RevokedSessionRepository,
    SignInStrikeRepository,
    Strikes,
)
from modelplane.store.unit_of_work import UnitOfWorkFactory, translate_db_errors
from modelplane.store.user_repositories import UserRepository

log = logging.getLogger(__name__)


# Sessions --------------------------------------------------------------------------------


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def password_salt(password_hash: str) -> str:
    """The part of an argon2 hash that changes with every new password (its salt): what a
    session's cookie is bound to, so that a password change ends old sessions."""
    return password_hash.rsplit("$", 2)[-2]


def signed_in_salt(sign_in: SignIn) -> str:
    """``password_salt`` of the hash a sign-in leaves stored (the upgraded one, if any)."""
    return password_salt(sign_in.rehash or sign_in.stored_hash)


def end_session(
    uows: UnitOfWorkFactory,
    session_id: str,
    username: str,
    issued_at: float,
    lifetime_seconds: int,
) -> None:
    """Sign out: the session's cookie is worthless from now on, on every process. The record
    is kept until the cookie (issued at ``issued_at``, epoch seconds) expires by itself."""
    now = utcnow()
    expires = datetime.fromtimestamp(issued_at + lifetime_seconds, UTC)
    with uows() as uow:
        revoked = RevokedSessionRepository(uow.connection)
        revoked.remove_expired(now)
        revoked.add(_session_hash(session_id), username, now, max(expires, now))
        uow.commit()


def session_user(engine: Engine, username: str, session_id: str) -> tuple[User, str] | None:
    """The enabled user of a live session, with a fingerprint of their password hash (it
    changes whenever the password does); None when the session has ended or the account is
    disabled. Read without taking the write lock: every console request asks."""
    with translate_db_errors(engine), engine.connect() as conn:
        revoked = RevokedSessionRepository(conn).is_revoked(_session_hash(session_id))
        record = None if revoked else UserRepository(conn).get(username)
    if record is None or record.disabled:
        return None
    return public_user(record), password_salt(record.password_hash)


# The limiter -----------------------------------------------------------------------------


class SignInLimiter:
    """Brute-force protection for sign-in, counted in the database (see the module)."""

    FAILURES = 5
    WINDOW = 15 * 60.0
    FIRST_LOCKOUT = 30.0
    MAX_LOCKOUT = 15 * 60.0
    USERNAME_DELAY = 5.0

    def __init__(self, uows: UnitOfWorkFactory, now: Callable[[], float] = time.time) -> None:
        self._uows = uows
        self._now = now  # wall-clock seconds: every process must agree on it

    def __len__(self) -> int:
        """How many keys are held (expired ones may linger until the next failure)."""
        with self._uows(read_only=True) as uow:
            return SignInStrikeRepository(uow.connection).count()

    def attempt(
        self, username: str, address: str, check: Callable[[], SignIn | None]
    ) -> SignIn | None:
        """``check()`` (the password check) unless a key is locked out, recording its
        outcome. Raises ``SignInLocked`` without calling ``check`` while locked out."""
        keys = _limit_keys(username, address)
        now = self._now()
        with self._uows(read_only=True) as uow:
            rows = SignInStrikeRepository(uow.connection).get(list(keys))
        live = [s for s in rows.values() if s.expires_at > now]
        wait = max([s.locked_until - now for s in live], default=0.0)
        if wait > 0:
            raise SignInLocked(math.ceil(wait))
        result = check()
        if result is None:
            self._failed(keys, username, address)
        elif keys[0] in rows:  # a success writes only when there is a count to clear
            with self._uows() as uow:
                SignInStrikeRepository(uow.connection).remove(keys[0])
                uow.commit()
        return result

    def _failed(self, keys: tuple[str, str], username: str, address: str) -> None:
        now = self._now()
        with self._uows() as uow:
            repo = SignInStrikeRepository(uow.connection)
            repo.ensure(list(keys), now)
            rows = repo.get(list(keys), for_update=True)
            lockouts = []
            for key in keys:
                strikes = rows[key]
                lockouts.append(self._strike(strikes, now, username_key=key == keys[0]))
                repo.put(strikes)
            uow.commit()
        # Forgetting expired keys is its own transaction: the count above locks only its own
        # two rows, in one order, so concurrent failures can never deadlock.
        with self._uows() as uow:
            SignInStrikeRepository(uow.connection).remove_expired(now)
            uow.commit()
        seconds = max(lockouts)
        if seconds > 0:
            log.warning(
                "too many failed sign-ins: locked out for %d s (username %r, address %s)",
                seconds,
                username,
                address,
            )

    def _strike(self, strikes: Strikes, now: float, username_key: bool) -> float:
        """Count a failure; the length of the lock it starts, or 0."""
        if strikes.expires_at <= now:  # forgotten (or new): start afresh
            strikes.failures, strikes.lockouts, strikes.locked_until = 0, 0, 0.0
        if now < strikes.locked_until:  # a guess that was in flight when the lock began
            return 0.0
        if strikes.failures == 0 or now - strikes.window_start > self.WINDOW:
            strikes.failures, strikes.window_start = 0, now
        strikes.failures += 1
        strikes.expires_at = now + self.WINDOW
        if not (strikes.lockouts > 0 or strikes.failures >= self.FAILURES):
            return 0.0
        if username_key:
            seconds = self.USERNAME_DELAY
        else:
            doublings = min(strikes.lockouts, 16)  # no float overflow, however long it goes on
            seconds = min(self.FIRST_LOCKOUT * 2.0**doublings, self.MAX_LOCKOUT)
        strikes.lockouts += 1
        strikes.locked_until = now + seconds
        strikes.expires_at = strikes.locked_until + self.WINDOW
        return seconds


def _limit_keys(username: str, address: str) -> tuple[str, str]:
    """The username's key first (a success clears it), then the address's."""
    return f"user:{username.strip().casefold()[:200]}", f"address:{address[:100]}"


__all__ = [
    "SignInLimiter",
    "SignInLocked",
    "end_session",
    "password_salt",
    "session_user",
    "signed_in_salt",
]
