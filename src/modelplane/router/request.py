"""What a caller asks the router: one message and its circumstances."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field, field_validator

from modelplane.domain.base import DomainModel
from modelplane.router.classification.result import Classification

Bias = Annotated[float, Field(ge=0, le=100)]
CandidateListing: TypeAlias = Literal["top", "all"]
TOP_CANDIDATES = 5
"""How many candidates a ``top`` answer lists (besides the chosen model)."""
MAX_TEXT_CHARS = 1_000_000
_ModelRef = Annotated[str, Field(min_length=1, max_length=200)]


class RouteRequest(DomainModel):
    """One message to route.

    ``classification`` skips the classifier; ``seed`` makes every random choice
    reproducible: the same request and seed against the same data give the same answer.
    """

    text: str = Field(default="", max_length=MAX_TEXT_CHARS, description="The message.")
    attachment_types: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        max_length=100,
        description="Types of attached files, e.g. `image/png`; images require vision.",
    )
    context_tokens: int = Field(
        default=0, ge=0, le=100_000_000, description="The conversation's size in tokens."
    )
    cost_bias: Bias = Field(default=0, description="0-100: how much to penalise price.")
    speed_bias: Bias = Field(default=0, description="0-100: how much to reward speed.")
    previous_model_id: _ModelRef | None = Field(
        default=None, description="The model that answered the previous message, if any."
    )
    exclude: list[_ModelRef] = Field(
        default_factory=list, max_length=1000, description="Models to leave out (they failed)."
    )
    classification: Classification | None = Field(
        default=None, description="A classification to use instead of the classifier."
    )
    seed: int | None = Field(
        default=None, ge=0, le=2**63 - 1, description="Makes the decision reproducible."
    )
    candidates: CandidateListing = Field(
        default="top",
        description=(
            f"`top`: the {TOP_CANDIDATES} best-scoring candidates and the chosen model, with "
            "their breakdowns; `all`: every eligible candidate."
        ),
    )

    @field_validator("attachment_types")
    @classmethod
    def _lower_case(cls, value: list[str]) -> list[str]:
        return [v.lower() for v in value]

    @field_validator("exclude")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        # A repeated id must not knock a second, valid model out of the random pick.
        return list(dict.fromkeys(value))
