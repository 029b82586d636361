"""What the classifier says about a message, and the conservative answer used when it
cannot say anything."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Literal, TypeAlias

from pydantic import Field, model_validator

from modelplane.domain.base import DomainModel
from modelplane.domain.errors import FieldError, InvalidInput
from modelplane.domain.profiles import CategoryId
from modelplane.domain.router_config import Complexity

Action: TypeAlias = Literal["keep", "change"]

UNKNOWN_DIFFICULTY = 0.234
"""The difficulty said when nothing is known about the message (the conservative
classification; a caller's classification without one, when the estimator cannot read its
text): the median of the shipped
estimate's reference spread (``difficulty.py``; a test keeps the two together), so a
message of unknown difficulty counts as a typical one and neither the premium nor the
budget end is favoured by a guess."""


class Classification(DomainModel):
    """A message's task, difficulty and needs.

    ``difficulty`` is the estimated probability that a weak, cheap model fails the message
    where a strong one succeeds (``difficulty.py``); a classification given without one
    gets the estimate of the request's text from the router (``engine.py``), and otherwise
    carries ``UNKNOWN_DIFFICULTY``. ``recommendedAction`` says whether the model chosen for
    the previous message may stay (``keep``) or the router should choose afresh (``change``).
    """

    primary_category: CategoryId
    secondary_category: CategoryId | None = None
    complexity: Complexity
    difficulty: Annotated[float, Field(ge=0, le=1)] = UNKNOWN_DIFFICULTY
    requires_vision: bool = False
    requires_long_context: bool = False
    requires_reasoning: bool = False
    confidence: Annotated[float, Field(ge=0, le=1)] = 0.0
    is_high_stakes: bool = False
    high_stakes_domain: Annotated[str, Field(max_length=64)] | None = None
    recommended_action: Action = "change"

    @model_validator(mode="after")
    def _domain_only_when_high_stakes(self) -> Classification:
        if self.is_high_stakes and self.high_stakes_domain is None:
            raise ValueError("isHighStakes requires a highStakesDomain")
        if not self.is_high_stakes and self.high_stakes_domain is not None:
            raise ValueError("highStakesDomain is set but isHighStakes is false")
        return self

    def to_record(self) -> dict[str, object]:
        """Every field, ``null`` where absent: one fixed set of keys for each line of a batch
        (``modelplane classify --json``), where ``to_json`` leaves absent fields out."""
        return self.model_dump(mode="json", by_alias=True)

    def check_against(self, categories: Collection[str], domains: Collection[str]) -> None:
        """Refuse categories and domains the router does not know (an ``InvalidInput``)."""
        errors = [
            FieldError(path, f"unknown category {value!r}; known: {', '.join(sorted(categories))}")
            for path, value in (
                ("primaryCategory", self.primary_category),
                ("secondaryCategory", self.secondary_category),
            )
            if value is not None and value not in categories
        ]
        if self.high_stakes_domain is not None and self.high_stakes_domain not in domains:
            known = ", ".join(domains) or "none configured"
            message = f"unknown domain {self.high_stakes_domain!r}; known: {known}"
            errors.append(FieldError("highStakesDomain", message))
        if errors:
            raise InvalidInput(errors, "invalid classification")


CONSERVATIVE = Classification(
    primary_category="conversation",
    complexity="simple",
    difficulty=UNKNOWN_DIFFICULTY,
    confidence=0.0,
    recommended_action="change",
)
"""What the router assumes when the classifier fails or times out: a simple conversation
that needs nothing special, said with no confidence, and of unknown difficulty
(``UNKNOWN_DIFFICULTY``)."""
