"""Experiments: named router-config variants on split traffic, assigned stickily per user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from modelplane.domain.base import DomainModel, Line, Text
from modelplane.domain.flags import UserContext, bucket
from modelplane.domain.guardrails import Guardrail
from modelplane.domain.router_config import RouterConfigDoc

_Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


class Variant(DomainModel):
    name: _Name
    weight: int = Field(ge=0, le=100)
    """Share of traffic in percent; the variants' weights sum to 100."""
    config: RouterConfigDoc


class ExperimentSpec(DomainModel):
    name: _Name
    description: Annotated[str, Field(max_length=1000)] | None = None
    variants: list[Variant] = Field(min_length=1, max_length=10)
    guardrails: list[Guardrail] | None = Field(default=None, max_length=20)
    """Checked by the guard against the first variant (control); a breach ends the
    experiment with discard."""

    @field_validator("variants")
    @classmethod
    def _weights_and_names(cls, variants: list[Variant]) -> list[Variant]:
        names = [v.name for v in variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique")
        total = sum(v.weight for v in variants)
        if total != 100:
            raise ValueError(f"variant weights must sum to 100, they sum to {total}")
        return variants


class Experiment(ExperimentSpec):
    status: Literal["running", "ended"] = "running"
    created_at: datetime
    created_by: Line
    ended_at: datetime | None = None
    ended_by: Line | None = None
    outcome: Text | None = None
    version: int = Field(default=1, ge=1)
    """Moves on with every change of its document (description, variants, guardrails), so
    a change request drawn at one version is stale at another."""

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)


def assign(experiment: ExperimentSpec, context: UserContext) -> Variant | None:
    """The user's variant: bucket ``"{experiment}:{userId or sessionId}"`` (1..100) falls in
    the variants' cumulative weights, in order. No user or session: not in the experiment."""
    value = context.stickiness_value("userId")
    if value is None:
        return None
    user_bucket = bucket(experiment.name, value)
    upper = 0
    for variant in experiment.variants:
        upper += variant.weight
        if user_bucket <= upper:
            return variant
    return None
