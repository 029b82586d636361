"""Feedback ingestion: verdicts on routing decisions, joined later to the decision's arm.

A body is one event, a list of events, or ``{"events": [...]}``; any bad event refuses the
whole body with its path named (``events[2].value``) and nothing is written. An event whose
``eventId`` is already stored is skipped. Feedback naming a decision the log does not hold
is stored all the same and counted as orphaned (the decision may be on its way: the log is
written in the background), never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from modelplane.domain.clock import utcnow
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.feedback import FeedbackEvent
from modelplane.domain.usage import MAX_BATCH
from modelplane.domain.validation import field_errors, json_path
from modelplane.store.feedback_repository import FeedbackRepository
from modelplane.store.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class FeedbackResult:
    accepted: int
    duplicates: int
    orphaned: int
    """Of ``accepted``, events whose decision is not in the decision log (yet)."""

    def to_json(self) -> dict[str, int]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "orphaned": self.orphaned}


def parse_feedback(body: Any) -> list[FeedbackEvent]:
    """One event, a list, or ``{"events": [...]}``; every problem reported at once."""
    if isinstance(body, dict) and "events" in body:
        extra = [FieldError(k, "unexpected field beside events") for k in body if k != "events"]
        if extra:
            raise InvalidInput(extra)
        items, prefix = body["events"], "events"
    elif isinstance(body, list):
        items, prefix = body, ""
    elif isinstance(body, dict):
        items, prefix = [body], None
    else:
        raise InvalidInput([FieldError("", "expected one feedback event or a list of them")])
    if not isinstance(items, list) or not items:
        raise InvalidInput([FieldError(prefix or "", "must be a non-empty list of events")])
    if len(items) > MAX_BATCH:
        raise InvalidInput([FieldError(prefix or "", f"at most {MAX_BATCH} events per request")])
    events: list[FeedbackEvent] = []
    errors: list[FieldError] = []
    first: dict[str, str] = {}
    for index, item in enumerate(items):
        path = "" if prefix is None else f"{prefix}[{index}]"
        try:
            event = FeedbackEvent.model_validate(item)
        except ValidationError as exc:
            errors += field_errors(exc, path)
            continue
        if event.event_id is not None:
            seen = first.setdefault(event.event_id, path)
            if seen != path:
                errors.append(FieldError(json_path(("eventId",), path), f"repeats {seen}"))
        events.append(event)
    if errors:
        raise InvalidInput(errors[:100], title="feedback rejected, nothing was recorded")
    return events


def record_feedback(
    uows: UnitOfWorkFactory, body: Any, now: datetime | None = None
) -> FeedbackResult:
    """Validate and store a body of feedback in one transaction."""
    events = parse_feedback(body)
    moment = now or utcnow()
    rows = [
        {
            "at": (e.at or moment).astimezone(UTC),
            "event_id": e.event_id,
            "decision_id": e.decision_id,
            "signal": e.signal,
            "value": e.value,
            "score": e.score,
            "comment": e.comment,
        }
        for e in events
    ]
    with uows() as uow:
        repo = FeedbackRepository(uow.connection)
        stored = repo.add_new(rows)
        unknown = repo.unknown_decisions([r["decision_id"] for r in stored])
        uow.commit()
    orphaned = sum(1 for r in stored if r["decision_id"] in unknown)
    return FeedbackResult(len(stored), len(rows) - len(stored), orphaned)


def orphaned_feedback(uows: UnitOfWorkFactory) -> int:
    """How many feedback rows name a decision the log does not hold."""
    with uows(read_only=True) as uow:
        return FeedbackRepository(uow.connection).orphaned()
