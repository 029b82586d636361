"""Domain errors. Each face (API, console, CLI) turns these into its own answer."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class ModelplaneError(Exception):
    """Base of every error that a user can cause and should be told about plainly."""


@dataclass
class FieldError:
    """One problem with one input field. ``path`` is a JSON path such as ``models[3].pricing``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


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
        hint = f" (did you mean: {', '.join(self.suggestions)}?)" if self.suggestions else ""
        super().__init__(f"unknown {kind} {key!r}{hint}")


class AlreadyExists(ModelplaneError):
    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} already exists")


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


def nearest(key: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Known ids closest to ``key``, best first: ``nearest("gpt5", [...]) -> ["openai:gpt-5"]``."""
    known = list(known)
    by_full = difflib.get_close_matches(key, known, n=n, cutoff=0.5)
    tail = key.split(":")[-1]
    by_name = {k.split(":")[-1]: k for k in known}
    by_tail = [by_name[m] for m in difflib.get_close_matches(tail, list(by_name), n=n, cutoff=0.6)]
    ordered = list(dict.fromkeys([*by_full, *by_tail]))
    return ordered[:n]
