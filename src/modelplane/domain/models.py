"""The model catalogue's entries: what a model is, costs and can do."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from modelplane.domain.base import DomainModel, Money
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
SpeedTier: TypeAlias = Literal["ultra-fast", "fast", "medium", "slow"]

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]
ModelIdStr = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*:[A-Za-z0-9][A-Za-z0-9._/-]*$", max_length=200)
]
API_ACTIONS = ("history", "rollback", "deprecate", "reactivate", "duplicate")
"""Path segments the API appends to a model id (``/api/v1/models/<id>/history``)."""


def _not_an_api_path(value: str, info: ValidationInfo) -> str:
    """``openai:gpt-5/history`` could not be told apart from the history of ``openai:gpt-5``
    over the API, so no new id may end in an action (or ``/history/<n>``). Ids already stored
    are read back as they are (``context={"stored": True}``), so such a row never makes the
    catalogue unreadable."""
    if info.context and info.context.get("stored"):
        return value
    parts = value.split("/")
    if len(parts) > 1 and (parts[-1] in API_ACTIONS or (len(parts) > 2 and parts[-2] == "history")):
        raise ValueError(f"an id may not end in /{parts[-1]}: the API uses that path")
    return value


NewModelId = Annotated[ModelIdStr, AfterValidator(_not_an_api_path)]
"""The id of a model being written: a ``ModelIdStr`` that the API can address."""
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=4000)]


class Provider(DomainModel):
    """A company or gateway that serves models. Rows, not an enum: adding one needs no deploy."""

    id: Slug
    display_name: ShortText


class Pricing(DomainModel):
    """Prices in USD per one million tokens."""

    input: Money
    output: Money
    cached: Money | None = None
    """Price of cached input tokens; the input price applies when absent."""
    reasoning: Money | None = None
    """Price of reasoning tokens; the output price applies when absent."""

    @property
    def average(self) -> Money:
        """The mean of input and output price: the router's measure of cost."""
        return (self.input + self.output) / 2


class ModelSpec(DomainModel):
    """Everything an editor sets about a model: the body of a create or an import row."""

    id: NewModelId
    provider: Slug
    name: ShortText
    context_window: int = Field(gt=0, le=100_000_000)
    pricing: Pricing
    capabilities: list[Capability] = Field(default_factory=list)
    knowledge_cutoff: Annotated[str, Field(max_length=100)] | None = None
    reasoning: ReasoningConfig | None = None
    actual_model_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    host_order: list[Slug] | None = None
    gateway: Slug | None = None
    is_internal_only: bool = False
    is_experimental: bool = False
    description: LongText | None = None
    user_friendly_description: LongText | None = None
    best_for: LongText | None = None
    benchmarks: dict[Annotated[str, Field(min_length=1, max_length=64)], float] | None = None
    speed_tier: SpeedTier | None = None
    is_pro: bool = False
    status: Status = "active"

    @field_validator("capabilities")
    @classmethod
    def _no_repeated_capability(cls, value: list[Capability]) -> list[Capability]:
        repeated = sorted({c for c in value if value.count(c) > 1})
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
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

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
