"""Feedback on a routing decision: a user's (or a judge's) verdict, and its score.

Each signal has its own range; every one maps to a score on 0..1 where higher is better,
so an arm's feedback figure is one mean whatever mix of signals its apps send:

- ``thumbs``: -1 or 1 (or 0 or 1); down is 0, up is 1.
- ``rating``: 1 to 5; (value - 1) / 4.
- ``regenerated``: 0 or 1 (1: the user asked again); the score is 1 - value.
- ``task_success``: 0 or 1.
- ``judge``: 0 to 1, as given.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator

from modelplane.domain.base import DomainModel
from modelplane.domain.usage import DecisionId, EventId

Signal = Literal["thumbs", "rating", "regenerated", "task_success", "judge"]
SIGNALS: tuple[Signal, ...] = ("thumbs", "rating", "regenerated", "task_success", "judge")

_RANGES: dict[str, str] = {
    "thumbs": "-1 or 1 (or 0 or 1)",
    "rating": "between 1 and 5",
    "regenerated": "0 or 1",
    "task_success": "0 or 1",
    "judge": "between 0 and 1",
}


def in_range(signal: Signal, value: float) -> bool:
    """Whether ``value`` is one ``signal`` can take."""
    if signal == "thumbs":
        return value in (-1, 0, 1)
    if signal == "rating":
        return 1 <= value <= 5
    if signal in ("regenerated", "task_success"):
        return value in (0, 1)
    return 0 <= value <= 1


def score(signal: Signal, value: float) -> float:
    """The value on 0..1, higher better: ``score("rating", 4) -> 0.75``."""
    if signal == "thumbs":
        return 1.0 if value > 0 else 0.0
    if signal == "rating":
        return (value - 1) / 4
    if signal == "regenerated":
        return 1.0 - value
    return float(value)


class FeedbackEvent(DomainModel):
    """One verdict on the decision ``decisionId`` (a route answer's). ``eventId`` makes a
    resend safe, as for usage. ``at`` defaults to the moment of ingestion."""

    event_id: EventId | None = None
    decision_id: DecisionId
    signal: Signal
    value: float
    comment: Annotated[str, Field(max_length=2000)] | None = None
    at: AwareDatetime | None = None

    @field_validator("value")
    @classmethod
    def _value_in_range(cls, value: float, info: ValidationInfo) -> float:
        signal = info.data.get("signal")
        if signal is not None and not in_range(signal, value):
            raise ValueError(f"for {signal} must be {_RANGES[signal]}")
        return value

    @property
    def score(self) -> float:
        return score(self.signal, self.value)
