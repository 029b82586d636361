"""Which decisions make an arm, and each arm's observations for the statistics.

An experiment's arms are its variants (decisions labelled with the variant); a flag's are
``enrolled`` (the decision log's ``enrolled_flags`` names it) and ``control`` (it does
not), over the decisions since the flag's current step began. Per decision: its cost and
latency if usage came back for it, failed if a generation failed or the router erred, a
fallback or not, and its mean feedback score if any.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from modelplane.domain.statistics import ArmData
from modelplane.store.outcome_queries import DecisionOutcome

ENROLLED = "enrolled"
CONTROL = "control"


def arm_data(outcomes: Iterable[DecisionOutcome]) -> ArmData:
    arm = ArmData()
    for o in outcomes:
        arm.requests += 1
        arm.fallback.append(1.0 if o.is_fallback else 0.0)
        if o.usage_events:
            arm.cost.append(float(o.cost))
            arm.latency.append(float(o.latency_ms))
        if o.usage_events or o.router_error:
            arm.errors.append(1.0 if o.failed_events or o.router_error else 0.0)
        if o.feedback_scores:
            arm.feedback.append(sum(o.feedback_scores) / len(o.feedback_scores))
    return arm


def by_variant(outcomes: Sequence[DecisionOutcome], variants: Sequence[str]) -> dict[str, ArmData]:
    return {v: arm_data(o for o in outcomes if o.variant == v) for v in variants}


def by_enrolment(outcomes: Sequence[DecisionOutcome], flag: str) -> dict[str, ArmData]:
    """``control`` first (the comparisons' base), then ``enrolled``."""
    mark = f",{flag},"
    return {
        CONTROL: arm_data(o for o in outcomes if mark not in o.enrolled_flags),
        ENROLLED: arm_data(o for o in outcomes if mark in o.enrolled_flags),
    }
