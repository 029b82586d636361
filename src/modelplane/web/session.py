"""Signed session cookies and CSRF tokens for the console, with the standard library only.

The cookie holds ``base64(json).base64(hmac)``: a random session id, the username once
signed in, a fingerprint of the password hash (so a password change ends old sessions) and
the time it was issued. Nothing secret is in it; the HMAC makes it unforgeable.

The CSRF token is the synchronizer pattern without server state: ``HMAC(secret, "csrf" +
session id)``. Every form carries it, every POST must send it back (form field or
``X-CSRF-Token`` header) and it is compared with ``hmac.compare_digest``. Signing in
issues a new session id, so a token seen before sign-in is worthless after it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

from modelplane.domain.errors import ModelplaneError
from modelplane.settings import Settings

log = logging.getLogger(__name__)

COOKIE = "modelplane_session"
LIFETIME_SECONDS = 12 * 3600
"""A session ends 12 hours after sign-in, whatever happens."""
MIN_KEY_LENGTH = 32


class MissingSecretKey(ModelplaneError):
    """Outside development the console needs ``MODELPLANE_SECRET_KEY``."""


@dataclass(frozen=True)
class Session:
    sid: str
    username: str | None = None
    fingerprint: str | None = None
    issued: int = 0
    is_new: bool = False

    @classmethod
    def fresh(cls, username: str | None = None, fingerprint: str | None = None) -> Session:
        sid = secrets.token_urlsafe(18)
        return cls(sid, username, fingerprint, int(time.time()), is_new=True)


class Signer:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"modelplane-console-session\0" + secret).digest()

    def _mac(self, data: bytes) -> str:
        return _b64(hmac.new(self._key, data, hashlib.sha256).digest())

    def dump(self, session: Session) -> str:
        payload = {"s": session.sid, "u": session.username, "f": session.fingerprint}
        body = _b64(json.dumps({**payload, "t": session.issued}, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body.encode())}"

    def load(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session in ``cookie``; None when it is absent, forged or expired."""
        if not cookie or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(str(data["s"]), data.get("u"), data.get("f"), int(data["t"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if (now or time.time()) - session.issued > LIFETIME_SECONDS:
            return None
        return session

    def csrf_token(self, session: Session) -> str:
        return self._mac(b"csrf\0" + session.sid.encode())

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.csrf_token(session))

    def seal(self, session: Session, text: str) -> str:
        """``text`` signed for this session only: what a redirect carries to the next page
        (a banner), so a link cannot bring text of its own, nor one made for someone else."""
        body = _b64(text.encode())
        return f"{body}.{self._mac(self._sealed(session, body))}"

    def unseal(self, session: Session, token: str | None) -> str | None:
        """The text ``seal`` signed for this session; None when absent or not genuine."""
        if not token or "." not in token:
            return None
        body, mac = token.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(self._sealed(session, body))):
            return None
        try:
            return _unb64(body).decode()
        except (ValueError, binascii.Error):
            return None

    @staticmethod
    def _sealed(session: Session, body: str) -> bytes:
        return b"sealed\0" + session.sid.encode() + b"\0" + body.encode()

    def fingerprint(self, value: str) -> str:
        """A short keyed digest of a password hash's salt, for the cookie."""
        return self._mac(b"fp\0" + value.encode())[:22]


def resolve_secret(settings: Settings) -> bytes:
    """The secret key: from settings; in development one kept in the user data directory;
    in tests one per process. Production without one refuses to start."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < MIN_KEY_LENGTH and settings.environment == "production":
            raise MissingSecretKey(
                f"MODELPLANE_SECRET_KEY must be at least {MIN_KEY_LENGTH} characters"
            )
        return value.encode()
    if settings.environment == "test":
        return secrets.token_bytes(32)
    if settings.environment != "development":
        raise MissingSecretKey(
            "MODELPLANE_SECRET_KEY is required outside development: it signs console sessions "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return _development_secret(Path(user_data_dir("modelplane", appauthor=False)) / "secret-key")


def _development_secret(path: Path) -> bytes:
    """Read the development key, creating it (owner-only) on first use. Every worker and
    restart shares it, so sessions survive ``--reload`` and ``--workers``.

    The key is written whole to a temporary file and then linked into place, which fails if
    another worker got there first: a reader never sees a half-written key, and racing
    workers all end up with the one that won."""
    key = _read_key(path)
    if key is not None:
        return key
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(secrets.token_urlsafe(48).encode())
        file.flush()
        os.fsync(file.fileno())
    try:
        _put_in_place(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    key = _read_key(path)
    assert key is not None, f"{path} vanished as it was made"
    return key


def _put_in_place(temporary: Path, path: Path) -> None:
    try:
        os.link(temporary, path)  # atomic, and only if there is no key yet
    except FileExistsError:
        return  # another worker won the race: its key is the one
    except OSError:  # a file system without hard links: the last writer wins, whole
        os.replace(temporary, path)
    log.warning("development: generated a console secret key in %s", path)


def _read_key(path: Path) -> bytes | None:
    """The key in ``path``, None when there is no file; a short one is refused."""
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    if len(key) < MIN_KEY_LENGTH:
        raise MissingSecretKey(
            f"{path} holds no usable console secret key ({len(key)} bytes, at least "
            f"{MIN_KEY_LENGTH} needed): delete it to have a new one made, or set "
            "MODELPLANE_SECRET_KEY"
        )
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
