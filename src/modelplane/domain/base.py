"""Pydantic conventions shared by every domain type."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel


class DomainModel(BaseModel):
    """Base for domain types: camelCase on the wire, snake_case in Python, strict fields."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,  # NaN and infinity are not JSON: they must never reach a row.
    )

    def to_json(self) -> dict[str, object]:
        """The JSON form used by the API, the CLI's ``--json`` and exports."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def decimal_to_json(value: Decimal) -> int | float:
    """Render a decimal as a JSON number: ``Decimal("10") -> 10``, ``Decimal("0.015") -> 0.015``.

    Prices carry at most 15 significant digits, so the float's shortest repr is the
    decimal's own digits: nothing is rounded on the way out.
    """
    if value == value.to_integral_value():
        return int(value)
    return float(value)


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=15, decimal_places=10),
    PlainSerializer(decimal_to_json, when_used="json"),
]
"""USD per one million tokens, exact."""
