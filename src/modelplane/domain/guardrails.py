"""Guardrails and progressive schedules: what keeps a rollout or an experiment safe.

A guardrail names a metric, how the treatment compares with control, a threshold and the
minimum sample (per arm) before it may judge:

- ``plus``: treatment ≤ control + threshold (``error_rate`` plus 0.02: two points);
- ``times``: treatment ≤ control x threshold (``latency_p95`` times 1.2);
- ``not_worse``: treatment no worse than control;
- ``at_most``: treatment ≤ threshold, whatever control does.

For ``feedback``, where higher is better, each reads the other way round (treatment ≥
control - threshold, ...). A schedule is the percentages a flag steps through, the dwell
at each, and whether it is paused.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator, model_validator

from modelplane.domain.base import DomainModel
from modelplane.domain.errors import nearest

METRICS: tuple[str, ...] = (
    "cost_per_request",
    "latency_p50",
    "latency_p95",
    "error_rate",
    "fallback_rate",
    "feedback",
)
"""Every metric an experiment report gives and a guardrail may watch."""
HIGHER_IS_BETTER = frozenset({"feedback"})

Comparison = Literal["plus", "times", "not_worse", "at_most"]


class Guardrail(DomainModel):
    metric: str
    comparison: Comparison
    threshold: float | None = None
    min_sample: int = Field(ge=1, le=10_000_000)
    """Requests per arm before the guardrail may judge (a breach or an advance)."""

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        if metric not in METRICS:
            hint = nearest(metric, list(METRICS))
            also = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ValueError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}{also}")
        return metric

    @model_validator(mode="after")
    def _threshold(self) -> Guardrail:
        if self.comparison != "not_worse" and self.threshold is None:
            raise ValueError(f"a {self.comparison} guardrail needs a threshold")
        if self.comparison == "times" and (self.threshold or 0) <= 0:
            raise ValueError("a times guardrail needs a positive threshold, e.g. 1.2")
        return self

    def describe(self) -> str:
        """``"error_rate ≤ control + 0.02"``."""
        better_high = self.metric in HIGHER_IS_BETTER
        op = "≥" if better_high else "≤"
        sign = "-" if better_high else "+"
        if self.comparison == "plus":
            return f"{self.metric} {op} control {sign} {self.threshold:g}"
        if self.comparison == "times":
            return f"{self.metric} {op} {self.threshold:g} x control"
        if self.comparison == "at_most":
            return f"{self.metric} {op} {self.threshold:g}"
        return f"{self.metric} not worse than control"


class Schedule(DomainModel):
    """The steps (percentages, rising) a flag follows, at least ``dwell_seconds`` at each
    and only while every guardrail holds with its minimum sample."""

    steps: list[int] = Field(min_length=1, max_length=20)
    dwell_seconds: int = Field(ge=0, le=90 * 86_400)
    paused: bool = False

    @field_validator("steps")
    @classmethod
    def _rising(cls, steps: list[int]) -> list[int]:
        if any(not 1 <= s <= 100 for s in steps):
            raise ValueError("each step is a percentage from 1 to 100")
        if any(b <= a for a, b in pairwise(steps)):
            raise ValueError("steps must rise, e.g. [1, 10, 50, 100]")
        return steps

    def next_step(self, percentage: int) -> int | None:
        return next((s for s in self.steps if s > percentage), None)

    def previous_step(self, percentage: int) -> int:
        """The step below ``percentage``, or 0."""
        return max((s for s in self.steps if s < percentage), default=0)


GuardrailList = list[Guardrail]
