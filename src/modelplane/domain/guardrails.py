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

from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator, model_validator

from modelplane.domain.base import DomainModel
from modelplane.domain.errors import nearest
from modelplane.domain.statistics import (
    ArmData,
    mean_interval,
    quantile,
    quantile_interval,
    shifted_difference,
    summarize,
)

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


# Judging a guardrail ------------------------------------------------------------------------

GUARD_ALPHA = 0.05
Status = Literal["insufficient", "holding", "breached"]


@dataclass(frozen=True)
class GuardrailCheck:
    """One guardrail judged on control's and the treatment's observations. ``breached``
    only on evidence: the always-valid interval of (treatment - the bound) lies wholly
    above zero; ``holding`` once both arms have the minimum sample and the treatment's
    estimate is within the bound; else ``insufficient``."""

    guardrail: Guardrail
    status: Status
    treatment: float | None
    control: float | None
    treatment_n: int
    control_n: int
    bound: float | None
    excess_low: float | None
    """The interval's lower end for (treatment - bound), in the metric's worse
    direction: above zero is a breach."""

    def evidence(self) -> str:
        """``"error_rate <= control + 0.02: breached, treatment 0.41 (n 120) against
        control 0.01 (n 1080), bound 0.03, lower end of the excess 0.29 > 0"``."""
        head = f"{self.guardrail.describe()}: {self.status}"
        if self.treatment is None or self.control is None:
            return f"{head} (treatment n {self.treatment_n}, control n {self.control_n})"
        text = (
            f"{head}, treatment {self.treatment:.4g} (n {self.treatment_n}) against control "
            f"{self.control:.4g} (n {self.control_n})"
        )
        if self.bound is not None:
            text += f", bound {self.bound:.4g}"
        if self.excess_low is not None:
            text += f", lower end of the excess {self.excess_low:.3g}"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "guardrail": self.guardrail.to_json(),
            "status": self.status,
            "treatment": self.treatment,
            "control": self.control,
            "treatmentN": self.treatment_n,
            "controlN": self.control_n,
            "bound": self.bound,
            "excessLow": self.excess_low,
            "evidence": self.evidence(),
        }


def check(guardrail: Guardrail, control: ArmData, treatment: ArmData) -> GuardrailCheck:
    """Judge ``guardrail``: the treatment's figure against control's."""
    sign = -1.0 if guardrail.metric in HIGHER_IS_BETTER else 1.0
    t_values = [sign * v for v in treatment.metric(guardrail.metric)]
    c_values = [sign * v for v in control.metric(guardrail.metric)]
    factor, shift = 1.0, 0.0
    if guardrail.comparison == "plus":
        shift = guardrail.threshold or 0.0
    elif guardrail.comparison == "times":
        factor = guardrail.threshold or 1.0
    absolute = guardrail.comparison == "at_most"
    limit = sign * (guardrail.threshold or 0.0)
    quantile_q = {"latency_p50": 0.5, "latency_p95": 0.95}.get(guardrail.metric)
    t_n, c_n = len(t_values), len(c_values)

    def figure(values: list[float]) -> float | None:
        if not values:
            return None
        if quantile_q is not None:
            return sign * quantile(values, quantile_q)
        return sign * summarize(values).mean

    t_fig, c_fig = figure(t_values), figure(c_values)
    enough = t_n >= guardrail.min_sample and (absolute or c_n >= guardrail.min_sample)
    bound: float | None
    low: float | None = None
    estimate: float | None = None
    if absolute:
        bound = guardrail.threshold
        if t_n >= 2:
            if quantile_q is not None:
                interval = quantile_interval(t_values, quantile_q, GUARD_ALPHA)
                point = quantile(t_values, quantile_q)
            else:
                interval = mean_interval(summarize(t_values), GUARD_ALPHA)
                point = summarize(t_values).mean
            estimate = point - limit
            low = interval[0] - limit if interval is not None else None
    else:
        bound = None if c_fig is None else sign * (factor * sign * c_fig + shift)
        if t_n >= 2 and c_n >= 2:
            if quantile_q is not None:
                t_int = quantile_interval(t_values, quantile_q, GUARD_ALPHA)
                c_int = quantile_interval(c_values, quantile_q, GUARD_ALPHA)
                estimate = quantile(t_values, quantile_q) - (
                    factor * quantile(c_values, quantile_q) + shift
                )
                if t_int is not None and c_int is not None:
                    low = t_int[0] - (factor * c_int[1] + shift)
            else:
                d = shifted_difference(
                    summarize(t_values), summarize(c_values), factor, shift, GUARD_ALPHA
                )
                if d is not None:
                    estimate, low = d.estimate, d.low
    status: Status = "insufficient"
    if enough and low is not None and low > 0:
        status = "breached"
    elif enough and estimate is not None and estimate <= 0:
        status = "holding"
    return GuardrailCheck(guardrail, status, t_fig, c_fig, t_n, c_n, bound, low)
