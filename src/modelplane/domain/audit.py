"""The audit log's vocabulary: the kinds of change, the faces a change comes through, and
what a valid filter of the feed is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias

from modelplane.domain.errors import FieldError, InvalidInput

KINDS = (
    "model",
    "router_config",
    "profile",
    "flag",
    "experiment",
    "token",
    "user",
    "provider",
    "sync",
    "change_request",
)
Face: TypeAlias = Literal["api", "console", "cli"]
FACES: tuple[Face, ...] = ("api", "console", "cli")
FORMATS = ("json", "jsonl", "csv")
MAX_PAGE = 500
MAX_EXPORT = 100_000


@dataclass(frozen=True)
class AuditFilter:
    kinds: tuple[str, ...] = ()
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    entity_id: str | None = None


def parse_filter(
    kind: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
    entity_id: str | None = None,
) -> AuditFilter:
    """A filter from text as a face receives it: ``kind`` may list several (``model,flag``);
    times are ISO 8601 (a date alone means its midnight UTC; no zone means UTC)."""
    errors: list[FieldError] = []
    kinds: tuple[str, ...] = ()
    if kind:
        kinds = tuple(k.strip() for k in kind.split(",") if k.strip())
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            errors.append(FieldError("kind", f"unknown {unknown[0]!r}; one of {', '.join(KINDS)}"))
    start = _moment(since, "since", errors)
    end = _moment(until, "until", errors)
    if start and end and end <= start:
        errors.append(FieldError("until", "must be after since"))
    if errors:
        raise InvalidInput(errors)
    return AuditFilter(kinds, actor or None, start, end, entity_id or None)


def _moment(text: str | None, field: str, errors: list[FieldError]) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        errors.append(FieldError(field, f"{text!r} is not an ISO 8601 time or date"))
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
