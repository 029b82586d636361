"""Domain errors. Each face (API, console, CLI) turns these into its own answer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ModelplaneError(Exception):
    """Base of every error that a user can cause and should be told about plainly."""


@dataclass
class FieldError:
    """One problem with one input field. ``path`` is a JSON path such as ``models[3].pricing``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def errors_json(errors: Iterable[FieldError]) -> list[dict[str, str]]:
    """Field errors as JSON: ``[{"path": "pricing.input", "message": "..."}]``."""
    return [e.to_json() for e in errors]


class InvalidInput(ModelplaneError):
    """Input failed validation. Carries every problem at once."""

    def __init__(self, errors: Sequence[FieldError], title: str = "invalid input") -> None:
        self.errors = list(errors)
        self.title = title
        super().__init__(f"{title}: " + "; ".join(str(e) for e in self.errors))


class NotFound(ModelplaneError):
    """An entity that does not exist, with the nearest known ids as suggestions."""

    def __init__(self, kind: str, key: str, suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.key = key
        self.suggestions = list(suggestions)
        super().__init__(f"unknown {kind} {key!r}{did_you_mean(self.suggestions)}")


class AlreadyExists(ModelplaneError):
    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} already exists")


class Retired(AlreadyExists):
    """A write naming a retired model's id: the id is reserved and the model never changes
    again. ``sentence`` says who retired it, when and why."""

    def __init__(self, key: str, sentence: str) -> None:
        super().__init__("model", key)
        self.args = (sentence,)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class VersionConflict(ModelplaneError):
    """A write based on a version that is no longer current."""

    kind: str
    key: str
    expected: int
    current: int
    changed_fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        what = f"; changed since: {', '.join(self.changed_fields)}" if self.changed_fields else ""
        return f"{self.kind} {self.key!r} is at version {self.current}, not {self.expected}{what}"


class DatabaseUnavailable(ModelplaneError):
    """The database cannot be reached. The message names the URL without its password."""


class ConcurrentWrite(ModelplaneError):
    """Two writers created the same thing at once and this one lost: read and retry."""

    def __init__(self, message: str = "a concurrent write got there first; read and retry"):
        super().__init__(message)


class NotAuthenticated(ModelplaneError):
    """No token (or session), or one that is unknown or revoked."""


class TokenExpired(NotAuthenticated):
    """A token past its expiry: 401, saying when it expired."""

    def __init__(self, name: str, expired_at: datetime) -> None:
        self.expired_at = expired_at
        at = expired_at.isoformat().replace("+00:00", "Z")
        super().__init__(f"token {name!r} expired at {at}; create a new one")


class Forbidden(ModelplaneError):
    """A valid token or user whose role is too weak for the request."""


class SignInLocked(ModelplaneError):
    """Too many failed sign-ins for this username or address: refused unchecked."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} seconds")
        self.retry_after = retry_after


def did_you_mean(suggestions: Sequence[str]) -> str:
    """``" (did you mean: a, b?)"``, or nothing when there is no suggestion."""
    return f" (did you mean: {', '.join(suggestions)}?)" if suggestions else ""


def unknown(kind: str, key: str, known: Iterable[str]) -> str:
    """``"unknown provider 'opnai' (did you mean: openai?)"``."""
    return f"unknown {kind} {key!r}{did_you_mean(nearest(key, known))}"


def nearest(key: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Known ids closest to ``key``, best first: ``nearest("gpt5", [...]) -> ["openai:gpt-5"]``."""
    known = list(known)
    by_full = difflib.get_close_matches(key, known, n=n, cutoff=0.5)
    tail = key.split(":")[-1]
    by_name = {k.split(":")[-1]: k for k in known}
    by_tail = [by_name[m] for m in difflib.get_close_matches(tail, list(by_name), n=n, cutoff=0.6)]
    ordered = list(dict.fromkeys([*by_full, *by_tail]))
    return ordered[:n]


class ApprovalRequired(ModelplaneError):
    """A direct write of a kind whose approval policy asks for approvers: open a change
    request instead."""

    link = "/api/v1/change-requests"

    def __init__(self, kind: str, approvers: int, role: str) -> None:
        self.kind = kind
        self.change: dict[str, Any] | None = None
        """The refused write as a change request's change (``kind``, ``id``, ``patch``,
        ``expectedVersion``), when the write knew it; so a face can offer to open one."""
        self.reason: str | None = None
        self.open_with: str | None = None
        """How to open a request for what was refused, when it is not one ``change`` (a
        sync's: the same sync asked for as a change request)."""
        self._needs = f"{kind} changes need {approvers} approval(s) by the {role} role"
        super().__init__(f"{self._needs}: open a change request (POST {self.link})")

    def opened_with(self, how: str) -> ApprovalRequired:
        """The same refusal, saying how to open the request (``open_with``)."""
        self.open_with = how
        self.args = (f"{self._needs}: open a change request with {how}",)
        return self


class RequestConflict(ModelplaneError):
    """A change request that cannot move as asked (not approved, stale, withdrawn, ...)."""

    def __init__(self, message: str, fields: Sequence[str] = ()) -> None:
        self.fields = list(fields)
        super().__init__(message)
