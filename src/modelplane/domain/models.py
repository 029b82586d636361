"""The model catalogue's entries: what a model is, costs and can do."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from modelplane.domain.base import (
    KEY_MAX,
    LIST_MAX,
    NAME_MAX,
    SINGLE_LINE,
    DomainModel,
    Line,
    Money,
    Text,
    text_problem,
)
from modelplane.domain.reasoning import ReasoningConfig

Capability: TypeAlias = Literal[
    "vision", "function-calling", "thinking", "extended-thinking", "image-generation"
]
CAPABILITIES: tuple[Capability, ...] = (
    "vision",
    "function-calling",
    "thinking",
    "extended-thinking",
    "image-generation",
)
Status: TypeAlias = Literal["active", "beta", "deprecated"]
STATUSES: tuple[Status, ...] = ("active", "beta", "deprecated")
Modality = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40)]
"""An input or output kind: ``text``, ``image``, ``audio``, ``video``, ``file``, ..."""
SpeedTier: TypeAlias = Literal["ultra-fast", "fast", "medium", "slow"]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]
_MODEL_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*:[A-Za-z0-9][A-Za-z0-9._/-]*$"
ModelIdStr = Annotated[str, Field(pattern=_MODEL_ID_PATTERN, max_length=NAME_MAX)]
"""The id of a model as stored or referred to: ``<provider>:<name>``."""
API_ACTIONS = (
    "history",
    "rollback",
    "deprecate",
    "reactivate",
    "duplicate",
    "price",
    "prices",
    "replace",
)
"""Path segments the API appends to a model id (``/api/v1/models/<id>/history``)."""

_ID_PROVIDER = re.compile(r"[a-z0-9][a-z0-9._-]*")
_ID_NAME_CHAR = re.compile(r"[A-Za-z0-9._/-]")
_URL_CHARS = {
    "%": "URLs decode it",
    "?": "URLs start a query with it",
    "#": "URLs start a fragment with it",
    "\\": "some clients read it as a path separator",
}


def _addressable_id(value: str, info: ValidationInfo) -> str:
    """A new model id must be ``<provider>:<name>`` and reach the same model when put in a
    URL path (``/api/v1/models/<id>``) or a file name: no character that URLs normalise or
    that breaks paths, no ``.``, ``..`` or empty ``/`` segment, no leading or trailing
    ``/``, and no ending the API would read as an action (``/history``, ``/rollback``, ...).

    Ids already stored are read back as they are (``context={"stored": True}``): only the
    shape that ids always had is checked, so such a row never makes the catalogue unreadable.
    """
    problem = _id_problem(value, stored=bool(info.context and info.context.get("stored")))
    if problem:
        raise ValueError(problem)
    return value


def _id_problem(value: str, stored: bool) -> str | None:
    for char in value:
        if char.isspace():
            return f"must not contain whitespace (U+{ord(char):04X})"
        if char in _URL_CHARS:
            return f"must not contain {char!r}: {_URL_CHARS[char]}"
    bad_text = text_problem(value, single_line=True)
    if bad_text:
        return bad_text
    provider, colon, name = value.partition(":")
    if not colon:
        return "must be <provider>:<name>, e.g. openai:gpt-5"
    if not _ID_PROVIDER.fullmatch(provider):
        return (
            f"the provider part {provider!r} must be lower-case letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    wrong = sorted({c for c in name if not _ID_NAME_CHAR.fullmatch(c)})
    if wrong:
        return f"the name part may hold letters, digits, '.', '_', '-' and '/', not {wrong[0]!r}"
    if name.startswith("/") or (not stored and name.endswith("/")):
        return "must not start or end with '/'"
    if not name[:1].isalnum():
        return "the name part must start with a letter or digit"
    if stored:
        return None
    segments = name.split("/")
    if "" in segments:
        return "must not contain an empty path segment ('//')"
    if "." in segments or ".." in segments:
        return "must not contain a '.' or '..' path segment: URLs resolve them"
    if len(segments) > 1 and (
        segments[-1] in API_ACTIONS or (len(segments) > 2 and segments[-2] == "history")
    ):
        return f"an id may not end in /{segments[-1]}: the API uses that path"
    return None


NewModelId = Annotated[
    str,
    Field(min_length=1, max_length=NAME_MAX, json_schema_extra={"pattern": _MODEL_ID_PATTERN}),
    AfterValidator(_addressable_id),
]
"""The id of a model being written: a ``ModelIdStr`` that the API can address."""
ShortText = Line
LongText = Text
_CAPABILITIES_MAX = len(CAPABILITIES)


class Provider(DomainModel):
    """A company or gateway that serves models. Rows, not an enum: adding one needs no deploy."""

    id: Slug
    display_name: ShortText


class PriceTier(DomainModel):
    """Prices that apply instead of the base ones when a request's input (uncached and
    cached together) is above ``above_input_tokens``: long-context pricing."""

    above_input_tokens: int = Field(gt=0, le=100_000_000)
    input: Money
    output: Money
    cached: Money | None = None
    cache_write: Money | None = None
    reasoning: Money | None = None


class Pricing(DomainModel):
    """Prices in USD per one million tokens."""

    input: Money
    output: Money
    cached: Money | None = None
    """Price of cached input tokens; the input price applies when absent."""
    reasoning: Money | None = None
    """Price of reasoning tokens; the output price applies when absent."""
    cache_write: Money | None = None
    """Price of input tokens written to the cache; the input price applies when absent."""
    tiers: list[PriceTier] | None = Field(default=None, max_length=LIST_MAX)
    """Long-context prices, by ascending threshold; the highest one exceeded applies."""

    @field_validator("tiers")
    @classmethod
    def _ascending_tiers(cls, value: list[PriceTier] | None) -> list[PriceTier] | None:
        if not value:
            return None
        thresholds = [tier.above_input_tokens for tier in value]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("tiers must have distinct aboveInputTokens in ascending order")
        return value

    @property
    def average(self) -> Money:
        """The mean of input and output price: the router's measure of cost."""
        return (self.input + self.output) / 2


class DatedPrice(DomainModel):
    """One entry of a model's price timeline (``domain/prices.py``): ``pricing`` applies
    from ``effective_from`` until the next entry starts."""

    effective_from: datetime
    pricing: Pricing
    recorded_at: datetime | None = None
    recorded_by: Line | None = None
    reason: LongText | None = None

    @field_validator("effective_from", "recorded_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must name its time zone (e.g. 2027-01-01T00:00:00Z)")
        return value.astimezone(UTC) if value is not None else None


BENCHMARK_MAX = 1_000_000
BenchmarkScore = Annotated[float, Field(ge=-BENCHMARK_MAX, le=BENCHMARK_MAX, allow_inf_nan=False)]
"""A benchmark's result: a finite number within a million either side of zero (scores,
percentages and Elo ratings all fit)."""


class ModelSpec(DomainModel):
    """Everything an editor sets about a model: the body of a create or an import row."""

    id: NewModelId
    provider: Slug
    name: ShortText
    context_window: int = Field(gt=0, le=100_000_000)
    pricing: Pricing
    capabilities: list[Capability] = Field(default_factory=list, max_length=_CAPABILITIES_MAX)
    knowledge_cutoff: Annotated[str, Field(max_length=100), SINGLE_LINE] | None = None
    reasoning: ReasoningConfig | None = None
    actual_model_id: Line | None = None
    host_order: list[Slug] | None = Field(default=None, max_length=LIST_MAX)
    gateway: Slug | None = None
    is_internal_only: bool = False
    is_experimental: bool = False
    description: LongText | None = None
    user_friendly_description: LongText | None = None
    best_for: LongText | None = None
    benchmarks: (
        dict[Annotated[str, Field(min_length=1, max_length=KEY_MAX), SINGLE_LINE], BenchmarkScore]
        | None
    ) = Field(default=None, max_length=LIST_MAX)
    speed_tier: SpeedTier | None = None
    is_pro: bool = False
    status: Status = "active"
    max_output_tokens: int | None = Field(default=None, gt=0, le=100_000_000)
    input_modalities: list[Modality] | None = Field(default=None, max_length=LIST_MAX)
    output_modalities: list[Modality] | None = Field(default=None, max_length=LIST_MAX)
    deprecation_date: datetime | None = None
    """When the provider deprecated (or will deprecate) the model."""
    sunset_date: datetime | None = None
    """When the model is retired: from then on the router never picks it."""
    successor_id: ModelIdStr | None = None
    """The model that replaces this one."""

    @field_validator("deprecation_date", "sunset_date")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @field_validator("capabilities")
    @classmethod
    def _no_repeated_capability(cls, value: list[Capability]) -> list[Capability]:
        repeated = sorted(c for c, n in Counter(value).items() if n > 1)
        if repeated:
            raise ValueError(f"capability listed twice: {', '.join(repeated)}")
        return value

    @field_validator("host_order")
    @classmethod
    def _no_repeated_host(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a host is listed twice")
        return value

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities


class Model(ModelSpec):
    """A catalogue entry as stored: the spec plus its version and audit fields."""

    id: ModelIdStr
    version: int = Field(ge=0)
    created_at: datetime | None = None
    created_by: Line | None = None
    updated_at: datetime | None = None
    updated_by: Line | None = None
    price_timeline: tuple[DatedPrice, ...] = Field(default=(), exclude=True)
    """Its dated prices in order (none: one price for all time). Not part of the document:
    ``pricing`` is the price in force when the model was read."""

    def pricing_at(self, at: datetime) -> Pricing:
        """The price in force at ``at``."""
        index = bisect_right([e.effective_from for e in self.price_timeline], at)
        return self.price_timeline[index - 1].pricing if index else self.pricing

    def priced_at(self, at: datetime) -> Model:
        """This model with ``pricing`` the price in force at ``at``."""
        if not self.price_timeline:
            return self
        pricing = self.pricing_at(at)
        return self if pricing == self.pricing else self.model_copy(update={"pricing": pricing})

    def spec(self) -> ModelSpec:
        """The editable part, without version and audit fields."""
        data = self.model_dump(include=set(ModelSpec.model_fields))
        return ModelSpec.model_validate(data, context={"stored": True})

    @model_validator(mode="before")
    @classmethod
    def _default_version(cls, data: Any) -> Any:
        if isinstance(data, dict) and "version" not in data:
            return {**data, "version": 0}
        return data


class Retirement(DomainModel):
    """A model retired for good: hidden from every list, its id reserved, its history kept.

    Not a status: clients only ever see active, beta and deprecated models, and a retired
    one is not shown to them at all. Retiring also deprecates the model, so a reader of the
    raw rows never finds it routable."""

    model_id: str
    retired_at: datetime
    retired_by: str
    reason: str

    def sentence(self) -> str:
        """``model 'a:b' is retired (by ann on 2026-12-02: "too old"); its id stays reserved``"""
        when = self.retired_at.strftime("%Y-%m-%d")
        return (
            f"model {self.model_id!r} is retired (by {self.retired_by} on {when}: "
            f"{self.reason!r}); its id stays reserved"
        )


AUTO_MODEL_ID = "auto"
"""The built-in meta-model that asks the router to choose. Not a catalogue row."""


def auto_model_entry() -> dict[str, object]:
    """How model pickers show the auto meta-model beside real models."""
    return {
        "id": AUTO_MODEL_ID,
        "provider": "modelplane",
        "name": "Auto",
        "description": "Lets the router pick a model for each message.",
        "isAuto": True,
    }
