"""Feature flags with Unleash-compatible gradual rollout.

A user's bucket is ``murmur3_x86_32("{groupId}:{stickinessValue}", seed=0) % 100 + 1``, the
same number Unleash's gradual rollout computes, so a user lands in the same bucket here, in
every process, and in an Unleash client configured alike. A user is enrolled when the
percentage is above 0 and the bucket is at most the percentage: raising the percentage
only ever adds users.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import mmh3
from pydantic import Field

from modelplane.domain.base import DomainModel, Line
from modelplane.domain.guardrails import Guardrail, Schedule

FlagName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
MODELS_SOURCE = "models_source"
ROUTER_CONFIG_SOURCE = "router_config_source"
BUILT_IN_FLAGS = (MODELS_SOURCE, ROUTER_CONFIG_SOURCE)
ROLLOUT_STEPS = (0, 1, 10, 50, 100)


def next_step(percentage: int) -> int | None:
    """The rollout step after ``percentage``: ``next_step(1) -> 10``, ``next_step(30) -> 50``,
    ``next_step(100) -> None``."""
    return next((step for step in ROLLOUT_STEPS if step > percentage), None)


class FlagSpec(DomainModel):
    """What an operator sets about a flag."""

    name: FlagName
    enabled: bool = False
    """The kill switch: off means nobody is enrolled, whatever the percentage."""
    percentage: int = Field(default=0, ge=0, le=100)
    stickiness: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)] = "userId"
    """``userId`` (falling back to ``sessionId``), ``sessionId``, or a named context field."""
    group_id: Annotated[Line, Field(max_length=100)] | None = None
    """Defaults to the flag's name; flags sharing a group id enrol the same users."""
    description: Annotated[str, Field(max_length=500)] | None = None
    guardrails: list[Guardrail] | None = Field(default=None, max_length=20)
    """What the guard checks while the flag is partly rolled out; a breach rolls it back."""
    schedule: Schedule | None = None
    """The steps the guard advances the flag through."""

    @property
    def group(self) -> str:
        return self.group_id or self.name


class Flag(FlagSpec):
    version: int = Field(default=0, ge=0)
    updated_at: datetime | None = None
    updated_by: Line | None = None

    def spec(self) -> FlagSpec:
        return FlagSpec.model_validate(self.model_dump(include=set(FlagSpec.model_fields)))


@dataclass(frozen=True)
class UserContext:
    """Who a request is for. ``properties`` carries any other named context fields."""

    user_id: str | None = None
    session_id: str | None = None
    properties: Mapping[str, str] | None = None

    def stickiness_value(self, stickiness: str) -> str | None:
        if stickiness == "userId":
            return self.user_id or self.session_id
        if stickiness == "sessionId":
            return self.session_id
        return (self.properties or {}).get(stickiness)


Reason = Literal[
    "override", "disabled", "zero_percent", "full_rollout", "no_stickiness_value", "bucket"
]


@dataclass(frozen=True)
class Evaluation:
    flag: str
    enabled: bool
    bucket: int | None
    reason: Reason
    percentage: int
    group_id: str

    def to_json(self) -> dict[str, object]:
        return {
            "flag": self.flag,
            "enabled": self.enabled,
            "bucket": self.bucket,
            "reason": self.reason,
            "percentage": self.percentage,
            "groupId": self.group_id,
        }


def bucket(group_id: str, stickiness_value: str) -> int:
    """1..100, Unleash's normalised value with seed 0."""
    return mmh3.hash(f"{group_id}:{stickiness_value}", 0, signed=False) % 100 + 1


def evaluate(flag: FlagSpec, context: UserContext, override: bool | None = None) -> Evaluation:
    """Is this user enrolled? ``override`` (from the environment) wins over everything."""
    value = context.stickiness_value(flag.stickiness)
    user_bucket = bucket(flag.group, value) if value is not None else None

    def result(enabled: bool, reason: Reason) -> Evaluation:
        return Evaluation(flag.name, enabled, user_bucket, reason, flag.percentage, flag.group)

    if override is not None:
        return result(override, "override")
    if not flag.enabled:
        return result(False, "disabled")
    if flag.percentage <= 0:
        return result(False, "zero_percent")
    if flag.percentage >= 100:
        return result(True, "full_rollout")
    if user_bucket is None:
        return result(False, "no_stickiness_value")
    return result(user_bucket <= flag.percentage, "bucket")


def parse_override(raw: str | None) -> bool | None:
    """``on/true/1/db`` → True, ``off/false/0/static`` → False, unset or empty → None."""
    if raw is None or not raw.strip():
        return None
    value = raw.strip().lower()
    if value in {"on", "true", "1", "yes", "db"}:
        return True
    if value in {"off", "false", "0", "no", "static"}:
        return False
    raise ValueError(f"a flag override must be on or off, got {raw!r}")


def override_variable(flag_name: str) -> str:
    return f"MODELPLANE_FLAG_{flag_name.upper()}"
